//! The JSON Schemas of `schemas/`: generated from the parser's own types (so the committed files
//! can never drift from the code), valid JSON Schemas, and in agreement with the parser on what
//! a front matter may hold.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use classmates::content::Kind;
use classmates::content::load::split_front_matter;
use serde_json::Value;

fn committed(name: &str) -> String {
    let path = common::repo_root().join("schemas").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn schema(name: &str) -> Value {
    serde_json::from_str(&committed(name)).expect("a schema is JSON")
}

/// The front matter of a Markdown text, as the JSON a schema validates.
fn front_matter(text: &str) -> Value {
    let (_, yaml, _, _) = split_front_matter(text).expect("a front matter");
    let value: serde_norway::Value = serde_norway::from_str(&text[yaml]).expect("valid YAML");
    serde_json::to_value(value).expect("YAML as JSON")
}

fn errors(schema: &Value, instance: &Value) -> Vec<String> {
    jsonschema::validator_for(schema)
        .expect("a valid schema")
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn committed_schemas_are_the_generated_ones() {
    let generated = classmates::schema::schemas();
    for (name, text) in &generated {
        assert!(
            committed(name) == *text,
            "schemas/{name} is out of date: run `cargo run -- schema` and commit the result"
        );
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(common::repo_root().join("schemas"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let expected: BTreeSet<String> = generated.into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        on_disk, expected,
        "files of schemas/ that the code does not generate"
    );
}

#[test]
fn the_schema_command_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_classmates"))
        .arg("schema")
        .arg("--output")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    for (name, text) in classmates::schema::schemas() {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(&name)).unwrap(),
            text
        );
    }
}

#[test]
fn schemas_are_valid_draft_7_schemas() {
    for (name, _) in classmates::schema::schemas() {
        let schema = schema(&name);
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        jsonschema::meta::validate(&schema)
            .unwrap_or_else(|e| panic!("schemas/{name} is not a valid schema: {e}"));
    }
}

#[test]
fn a_valid_front_matter_validates() {
    let article = front_matter(
        "---\n# yaml-language-server: $schema=../../schemas/article.json\ntitle: \"Les décorateurs\"\ndate: 2026-11-20\nauthors:\n  - lea\ntags: [python, débutant]\ncategories: [python]\nseries: python-avance\npart: 2\nupdated: 2026-11-21 18:30\ndraft: false\n---\nTexte.\n",
    );
    assert_eq!(
        errors(&schema("article.json"), &article),
        Vec::<String>::new()
    );
    let event = front_matter(
        "---\ntitle: Webinaire\nstart: 2026-12-10 19:00\nend: 2026-12-10T20:30:00+01:00\ncapacity: 30\nregistration: true\nrecording: https://www.youtube.com/watch?v=x\n---\n",
    );
    assert_eq!(errors(&schema("event.json"), &event), Vec::<String>::new());
}

#[test]
fn invalid_front_matters_do_not_validate() {
    let article = schema("article.json");
    let cases = [
        // Unknown field (a typo).
        "title: a\ndate: 2026-11-20\nauthors: [lea]\ntitel: b\n",
        // Wrong types.
        "title: a\ndate: 2026-11-20\nauthors: lea\n",
        "title: a\ndate: 2026-11-20\nauthors: [lea]\npart: deux\n",
        "title: a\ndate: 2026-11-20\nauthors: [lea]\ndraft: peut-être\n",
        // Missing required field.
        "title: a\nauthors: [lea]\n",
        // A date the build refuses, an empty list of authors.
        "title: a\ndate: 15/10/2026\nauthors: [lea]\n",
        "title: a\ndate: 2026-11-20\nauthors: []\n",
    ];
    for yaml in cases {
        let instance = front_matter(&format!("---\n{yaml}---\n"));
        assert!(
            !errors(&article, &instance).is_empty(),
            "should not validate:\n{yaml}"
        );
    }
    let resource = schema("resource.json");
    for yaml in [
        "title: a\nurl: docs.python.org\nkind: documentation\ndate: 2026-11-20\n",
        "title: a\nurl: https://docs.python.org/\nkind: blog\ndate: 2026-11-20\n",
    ] {
        let instance = front_matter(&format!("---\n{yaml}---\n"));
        assert!(
            !errors(&resource, &instance).is_empty(),
            "should not validate:\n{yaml}"
        );
    }
}

/// Every front matter of the real content validates against its kind's schema, and so does
/// `site.yaml`: the schemas accept what the build accepts.
#[test]
fn the_real_content_validates() {
    let root = common::repo_root();
    let mut seen = 0;
    for kind in Kind::ALL {
        let schema = schema(&classmates::schema::file_name(kind));
        for entry in walk(&root.join("content").join(kind.dir())) {
            if entry.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&entry).unwrap();
                let problems = errors(&schema, &front_matter(&text));
                assert!(problems.is_empty(), "{}: {problems:?}", entry.display());
                seen += 1;
            }
        }
    }
    assert!(seen > 10, "only {seen} content files found");
    let site: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(root.join("site.yaml")).unwrap()).unwrap();
    let site = serde_json::to_value(site).unwrap();
    assert_eq!(errors(&schema("site.json"), &site), Vec::<String>::new());
    let broken = serde_json::json!({"title": "x", "description": "y", "base_url": "pythonclassmates.org",
        "language": "fr", "timezone": "Europe/Paris", "categories": [{"slug": "Données", "name": "Données"}]});
    assert_eq!(errors(&schema("site.json"), &broken).len(), 2);
}

/// Every file under `dir`, bundles' `index.md` included.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(read) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in read {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let index = path.join("index.md");
            if index.is_file() {
                files.push(index);
            }
        } else {
            files.push(path);
        }
    }
    files
}

/// What `classmates new` writes validates too, for every kind.
#[test]
fn new_contents_validate() {
    use classmates::scaffold::{NewContent, render};
    for kind in [
        Kind::Article,
        Kind::Series,
        Kind::Resource,
        Kind::Event,
        Kind::Author,
    ] {
        let new = NewContent {
            kind,
            title: "Un titre : avec des \"guillemets\" \\ et une barre".into(),
            bundle: true,
            authors: vec!["lea".into()],
            today: chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        };
        let text = render(&new, None);
        let schema = schema(&classmates::schema::file_name(kind));
        let instance = front_matter(&text);
        assert_eq!(errors(&schema, &instance), Vec::<String>::new(), "{text}");
        let title = if kind == Kind::Author {
            "name"
        } else {
            "title"
        };
        assert_eq!(
            instance[title],
            "Un titre : avec des \"guillemets\" \\ et une barre"
        );
    }
}
