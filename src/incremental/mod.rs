//! Incremental builds: a [`Session`] keeps the state of the last build in memory (files read and
//! parsed, Markdown bodies rendered, what each output file was made from) so that a rebuild
//! after a change re-reads only the changed files, renders again only the bodies that changed
//! and writes only the output files whose inputs changed. The full build is the first rebuild
//! of a new session: `build` and `serve` produce every file through the same code.
//!
//! What a change costs:
//! - the body of a content file, its front matter unchanged (the common case while writing):
//!   that file is read again, its item patched in the resolved site (its text and summary, all
//!   an item takes from its body), its body rendered again, and only the files whose
//!   fingerprint reads that item ([`fingerprint`]) are fingerprinted again: its page, its
//!   entry of the search index, and, when its summary changed, the lists showing its card;
//! - the front matter of a published file, when the site keeps its structure (same identity,
//!   date, authors, aliases and place in its series: a new title, summary, event location…,
//!   tags, categories): the item is resolved alone and patched in ([`patch::patch`]), with the
//!   lists of the terms it joins or leaves, then as above plus the pages and feeds of those
//!   terms; an author's new name changes the cards of their works too, a tag's new name the
//!   cards of its items. A tag that appears or disappears changes the files of the site: they
//!   are all fingerprinted again (as below, without resolving the site again). A new date (of
//!   an article outside a series, or of a resource) moves the item in its lists: every file
//!   showing a list is fingerprinted again (`shows_list`);
//! - any other change to `content/` (front matter changing the structure, new, renamed or
//!   deleted files): the changed files are read again, the site is resolved again (cross
//!   references, indexes), bodies are rendered again when their file or the links they use
//!   changed, every file is fingerprinted and only those whose fingerprint changed are
//!   rendered;
//! - a template: the pages rendered through it, or through a template that uses it;
//! - a file of the theme's `static/`: that file is copied again;
//! - `site.yaml`: everything (every page shows the site's settings).
//!
//! Files are written only when their bytes changed, each replaced at once; files no longer
//! part of the site are deleted.
//!
//! The rooms of the engine, in the order of a rebuild ([`Session::rebuild`]):
//! - [`session`]: the state kept between builds, and the rebuild carved into its steps (read,
//!   plan, find what is stale, render, write, record);
//! - [`patch`]: a changed file put in place of its item in the resolved site, when the change
//!   keeps the site's structure (otherwise the site is resolved again);
//! - [`plan`]: the files of the site with the fingerprints of their inputs, and the stale rules
//!   (which files a patched item, a moved item or a refiled term makes stale);
//! - [`fingerprint`]: what each output file reads, hashed without rendering it;
//! - [`bodies`]: the Markdown bodies as last rendered;
//! - [`search_cache`]: the search index as last written, made again entry by entry;
//! - [`inventory`]: the output folder as the last build left it (what each file was made
//!   from), what is stale in it, and the records of each build. The bytes are written by
//!   [`crate::output`].
//!
//! Invariant: the output of any sequence of rebuilds is byte-identical to a full build of the
//! same state (`tests/incremental.rs`, `cargo bench --bench rebuild -- --verify`). What is
//! stale is decided here only: `site` resolves, `render` renders, `output` writes.

pub mod bodies;
pub mod fingerprint;
pub mod inventory;
pub mod patch;
pub mod plan;
pub mod search_cache;
pub mod session;
pub mod stream;

pub use session::{BuildError, BuildOptions, Checked, Rebuild, Session};
