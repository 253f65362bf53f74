//! `classmates`: the static site generator of the PythonClassmates community. The pipeline is
//! load (`content`) → parse (`content::meta`, `yaml`) → resolve (`site`) → render (`markdown`,
//! `render`) → write (`output`), driven by `build`; `incremental` keeps that state between
//! builds so that `serve` (with `watch`) rebuilds only what a change affects.

pub mod anchors;
pub mod build;
pub mod check;
pub mod cli;
pub mod config;
pub mod content;
pub mod dates;
pub mod diagnostics;
pub mod hash;
pub mod highlight;
pub mod import;
pub mod incremental;
pub mod markdown;
pub mod memory;
pub mod output;
pub mod redirects;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod site;
pub mod text;
pub mod urls;
pub mod watch;
pub mod yaml;
