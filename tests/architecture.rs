//! No import circles in `src/` nor `functions/src/` (ARCHITECTURE.md: layers read top-down, a
//! child module takes what it shares with its parent from a sibling). Every source file is
//! parsed with `syn`; its references to modules of its crate (`crate::a::b`, `super::x`,
//! `self::x`, group uses, and a parent's `child::X`, `pub use child::X` included) are edges
//! from its module to the deepest module they name; `#[cfg(test)]` modules are left out (a
//! test module may use its parent). A strongly connected component of more than one module
//! is a circle, reported with the references that make it (file and line).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module, as the path of its names from the crate's root (`["store", "sqlite"]`).
type Module = Vec<String>;

/// A reference from one module to another: where it is written.
#[derive(Debug, Clone)]
struct Reference {
    to: Module,
    file: PathBuf,
    line: usize,
}

/// The modules of the crate whose sources are under `root` (`src/`), by their file.
fn modules(root: &Path) -> BTreeMap<Module, PathBuf> {
    let mut modules = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().with_extension("");
            let mut names: Module = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if names
                .last()
                .is_some_and(|n| ["mod", "lib", "main"].contains(&n.as_str()))
            {
                names.pop();
            }
            // Binaries next to the library (`src/bin/x.rs`) are crates of their own.
            if names.first().is_some_and(|n| n == "bin") {
                continue;
            }
            modules.insert(names, path);
        }
    }
    modules
}

/// Collects the references of one file.
struct Collector<'m> {
    module: &'m Module,
    modules: &'m BTreeMap<Module, PathBuf>,
    file: &'m Path,
    found: Vec<Reference>,
}

impl Collector<'_> {
    /// Notes the module `segments` name, read from this file's module.
    fn reference(&mut self, segments: &[String], line: usize) {
        let Some(first) = segments.first() else {
            return;
        };
        let mut path: Module = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.module.clone(),
            "super" => self.module[..self.module.len().saturating_sub(1)].to_vec(),
            // A child module (2018 paths); anything else is another crate, a type, a local.
            child => {
                let mut child_path = self.module.clone();
                child_path.push(child.to_string());
                if !self.modules.contains_key(&child_path) {
                    return;
                }
                self.module.clone()
            }
        };
        let mut rest = &segments[1..];
        if first == "super" {
            while rest.first().is_some_and(|s| s == "super") {
                path.pop();
                rest = &rest[1..];
            }
        }
        if !["crate", "self", "super"].contains(&first.as_str()) {
            rest = segments;
        }
        // The deepest module named.
        let mut to = path.clone();
        for name in rest {
            let mut deeper = to.clone();
            deeper.push(name.clone());
            if self.modules.contains_key(&deeper) {
                to = deeper;
            } else {
                break;
            }
        }
        if to != *self.module && self.modules.contains_key(&to) {
            self.found.push(Reference {
                to,
                file: self.file.to_path_buf(),
                line,
            });
        }
    }

    /// Every path a use tree makes, with `prefix` before it.
    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>, line: usize) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix, line);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut path = prefix.clone();
                if n.ident != "self" {
                    path.push(n.ident.to_string());
                }
                self.reference(&path, line);
            }
            syn::UseTree::Rename(r) => {
                let mut path = prefix.clone();
                if r.ident != "self" {
                    path.push(r.ident.to_string());
                }
                self.reference(&path, line);
            }
            syn::UseTree::Glob(_) => self.reference(prefix, line),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(tree, prefix, line);
                }
            }
        }
    }
}

/// Whether `attrs` hold `#[cfg(test)]`.
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if !is_test(&item.attrs) {
            syn::visit::visit_item_mod(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let line = item.use_token.span.start().line;
        self.use_tree(&item.tree, &mut Vec::new(), line);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            let line = path.segments[0].ident.span().start().line;
            self.reference(&segments, line);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Paths inside macro calls (`format!("{}", crate::x::y())`): read as tokens.
        let tokens: Vec<proc_macro2::TokenTree> = flatten(mac.tokens.clone());
        let mut i = 0;
        while i < tokens.len() {
            if let proc_macro2::TokenTree::Ident(first) = &tokens[i] {
                let mut segments = vec![first.to_string()];
                let line = first.span().start().line;
                let mut j = i + 1;
                loop {
                    match (tokens.get(j), tokens.get(j + 1), tokens.get(j + 2)) {
                        (
                            Some(proc_macro2::TokenTree::Punct(a)),
                            Some(proc_macro2::TokenTree::Punct(b)),
                            Some(proc_macro2::TokenTree::Ident(next)),
                        ) if a.as_char() == ':' && b.as_char() == ':' => {
                            segments.push(next.to_string());
                            j += 3;
                        }
                        _ => break,
                    }
                }
                let preceded_by_colons = i >= 1
                    && matches!(&tokens[i - 1], proc_macro2::TokenTree::Punct(p) if p.as_char() == ':');
                if segments.len() > 1 && !preceded_by_colons {
                    self.reference(&segments, line);
                }
                i = j;
            } else {
                i += 1;
            }
        }
        syn::visit::visit_macro(self, mac);
    }
}

/// The tokens of `stream`, groups opened.
fn flatten(stream: proc_macro2::TokenStream) -> Vec<proc_macro2::TokenTree> {
    let mut out = Vec::new();
    for token in stream {
        match token {
            proc_macro2::TokenTree::Group(g) => {
                // A boundary, so that paths do not run across groups.
                out.push(proc_macro2::TokenTree::Punct(proc_macro2::Punct::new(
                    ';',
                    proc_macro2::Spacing::Alone,
                )));
                out.extend(flatten(g.stream()));
                out.push(proc_macro2::TokenTree::Punct(proc_macro2::Punct::new(
                    ';',
                    proc_macro2::Spacing::Alone,
                )));
            }
            other => out.push(other),
        }
    }
    out
}

/// The references of every module of the crate under `root`.
fn references(root: &Path) -> BTreeMap<Module, Vec<Reference>> {
    let modules = modules(root);
    let mut all = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).unwrap();
        let parsed = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{}: not parsed: {e}", file.display()));
        let mut collector = Collector {
            module,
            modules: &modules,
            file,
            found: Vec::new(),
        };
        collector.visit_file(&parsed);
        all.insert(module.clone(), collector.found);
    }
    all
}

/// The circles among the modules: strongly connected components of more than one module
/// (Tarjan's algorithm), each sorted, with the references inside it.
fn circles(graph: &BTreeMap<Module, Vec<Reference>>) -> Vec<(Vec<String>, Vec<String>)> {
    struct Tarjan<'g> {
        graph: &'g BTreeMap<Module, Vec<Reference>>,
        index: BTreeMap<&'g Module, usize>,
        low: BTreeMap<&'g Module, usize>,
        stack: Vec<&'g Module>,
        on_stack: BTreeSet<&'g Module>,
        components: Vec<Vec<&'g Module>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g Module) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for r in &self.graph[v] {
                let w = self.graph.get_key_value(&r.to).expect("a module").0;
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                self.components.push(component);
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for v in graph.keys() {
        if !tarjan.index.contains_key(v) {
            tarjan.visit(v);
        }
    }
    let name = |m: &Module| match m.is_empty() {
        true => "crate".to_string(),
        false => m.join("::"),
    };
    let mut circles: Vec<(Vec<String>, Vec<String>)> = tarjan
        .components
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|component| {
            let mut names: Vec<String> = component.iter().map(|m| name(m)).collect();
            names.sort();
            let inside: BTreeSet<&Module> = component.iter().copied().collect();
            let mut why: Vec<String> = Vec::new();
            for &m in &component {
                for r in &graph[m] {
                    if inside.contains(&r.to) {
                        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
                        why.push(format!(
                            "{}:{}: {} → {}",
                            r.file.strip_prefix(repo).unwrap_or(&r.file).display(),
                            r.line,
                            name(m),
                            name(&r.to)
                        ));
                    }
                }
            }
            why.sort();
            why.dedup();
            (names, why)
        })
        .collect();
    circles.sort();
    circles
}

/// Circles known when this check landed, each removed by the change that breaks it: the
/// test fails on any other circle, and on an entry here that is no longer a circle.
const KNOWN: &[&str] = &[];

#[test]
fn no_import_circles() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut unknown = Vec::new();
    let mut seen = BTreeSet::new();
    for (crate_name, root) in [
        ("classmates", repo.join("src")),
        ("classmates_api", repo.join("functions/src")),
    ] {
        let graph = references(&root);
        assert!(graph.len() > 20, "{crate_name}: modules found in {root:?}");
        for (names, why) in circles(&graph) {
            let key = format!("{crate_name}: {}", names.join(" "));
            if KNOWN.contains(&key.as_str()) {
                seen.insert(key);
            } else {
                unknown.push(format!("{key}\n    {}", why.join("\n    ")));
            }
        }
    }
    let gone: Vec<&&str> = KNOWN.iter().filter(|k| !seen.contains(**k)).collect();
    assert!(
        unknown.is_empty(),
        "import circles (a module may only use modules below it; a child takes what it \
         shares with its parent from a sibling, see ARCHITECTURE.md):\n{}",
        unknown.join("\n")
    );
    assert!(
        gone.is_empty(),
        "no longer circles: remove them from KNOWN in tests/architecture.rs: {gone:?}"
    );
}

#[test]
fn the_checker_finds_circles_with_their_references() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/architecture-cycle");
    let found = circles(&references(&root));
    let names: Vec<&Vec<String>> = found.iter().map(|(names, _)| names).collect();
    // `a` ↔ `b` (crate paths, one in a macro call); `store` ↔ `store::sqlite` (a child using
    // its parent, a parent using its child); `clean` and its children, and the test module
    // of `tested`, make none.
    assert_eq!(
        names,
        [
            &vec!["a".to_string(), "b".to_string()],
            &vec!["store".to_string(), "store::sqlite".to_string()],
        ],
        "{found:#?}"
    );
    let why = &found[1].1;
    assert!(
        why.iter()
            .any(|w| w.ends_with("store/sqlite.rs:3: store::sqlite → store")),
        "{why:?}"
    );
    assert!(
        why.iter()
            .any(|w| w.ends_with("store/mod.rs:5: store → store::sqlite")),
        "{why:?}"
    );
    assert!(
        found[0].1.iter().any(|w| w.contains("b.rs:4: b → a")),
        "the path inside format!: {:?}",
        found[0].1
    );
}
