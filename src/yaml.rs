//! Strict YAML reading for `site.yaml` and front matter: every unknown key is reported with a
//! "did you mean", every problem carries the line and column it comes from.

use std::path::Path;

use serde::de::{self, DeserializeOwned, Visitor};
use serde_norway::{Mapping, Value};

use crate::diagnostics::Diagnostic;

/// A YAML document with the position of its first line in the file it comes from.
pub struct Document<'a> {
    pub path: &'a Path,
    /// The whole file, to quote lines in diagnostics.
    pub file_text: &'a str,
    /// The YAML text itself.
    pub yaml: &'a str,
    /// 1-based line of the file where `yaml` starts.
    pub first_line: usize,
}

impl Document<'_> {
    /// A diagnostic pointing at `line` (1-based, in the YAML text) and `column`.
    pub fn error_at(
        &self,
        line: usize,
        column: usize,
        len: usize,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::error(self.path, message).at(
            self.file_text,
            self.first_line + line - 1,
            column,
            len,
        )
    }

    /// Where the top-level `key` is written: (line in YAML, column), if it is.
    pub fn key_position(&self, key: &str) -> Option<(usize, usize)> {
        self.yaml.lines().enumerate().find_map(|(i, line)| {
            let rest = line.strip_prefix(key)?;
            rest.trim_start().starts_with(':').then_some((i + 1, 1))
        })
    }

    /// Where `value` appears under the top-level `key` (on the key's line or in its block).
    pub fn value_position(&self, key: &str, value: &str) -> Option<(usize, usize)> {
        let (key_line, _) = self.key_position(key)?;
        for (i, line) in self.yaml.lines().enumerate().skip(key_line - 1) {
            if i + 1 > key_line && !line.starts_with([' ', '\t', '-']) && !line.trim().is_empty() {
                break;
            }
            let search_from = if i + 1 == key_line { key.len() + 1 } else { 0 };
            if let Some(col) = line.get(search_from..).and_then(|rest| rest.find(value)) {
                let byte = search_from + col;
                return Some((i + 1, line[..byte].chars().count() + 1));
            }
        }
        Some((key_line, 1))
    }

    /// A diagnostic on the top-level `key` (or on the document start if it is absent).
    pub fn key_error(&self, key: &str, message: impl Into<String>) -> Diagnostic {
        let (line, col) = self.key_position(key).unwrap_or((1, 1));
        self.error_at(line, col, key.chars().count(), message)
    }

    /// A diagnostic on `value` under the top-level `key`.
    pub fn value_error(&self, key: &str, value: &str, message: impl Into<String>) -> Diagnostic {
        let (line, col) = self
            .value_position(key, value)
            .or_else(|| self.key_position(key))
            .unwrap_or((1, 1));
        self.error_at(line, col, value.chars().count(), message)
    }

    /// Parses the document into `T`, reporting syntax errors, every unknown key (with a
    /// suggestion), and the first missing field or type error, all located.
    pub fn parse<T: DeserializeOwned>(&self, what: &str) -> Result<T, Vec<Diagnostic>> {
        let value: Value = if self.yaml.trim().is_empty() {
            Value::Mapping(Mapping::new())
        } else {
            serde_norway::from_str(self.yaml).map_err(|e| vec![self.serde_error(&e, what)])?
        };
        let Value::Mapping(map) = value else {
            return Err(vec![self.error_at(
                1,
                1,
                1,
                format!("{what} doit être une liste de champs `clé: valeur`"),
            )]);
        };
        let known = struct_fields::<T>();
        let mut problems = Vec::new();
        for key in map.keys() {
            let Some(name) = key.as_str() else {
                problems.push(self.error_at(
                    1,
                    1,
                    1,
                    format!("clé non textuelle dans {what} : {key:?}"),
                ));
                continue;
            };
            if !known.contains(&name) {
                let mut d = self.key_error(name, format!("champ inconnu `{name}` dans {what}"));
                d = match did_you_mean(name, known) {
                    Some(s) => d.with_help(format!("vouliez-vous dire `{s}` ?")),
                    None => d.with_help(format!("champs possibles : {}", known.join(", "))),
                };
                problems.push(d);
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        serde_norway::from_str::<T>(if self.yaml.trim().is_empty() {
            "{}"
        } else {
            self.yaml
        })
        .map_err(|e| vec![self.serde_error(&e, what)])
    }

    fn serde_error(&self, e: &serde_norway::Error, what: &str) -> Diagnostic {
        let message = translate_serde_message(&e.to_string());
        if let Some(field) = missing_field(&message) {
            return self
                .error_at(
                    1,
                    1,
                    1,
                    format!("champ obligatoire `{field}` manquant dans {what}"),
                )
                .with_help(format!("ajoutez une ligne `{field}: …`"));
        }
        match e.location() {
            Some(loc) => self.error_at(loc.line(), loc.column(), 1, message),
            None => self.error_at(1, 1, 1, message),
        }
    }
}

/// Strips serde_norway's " at line X column Y" (we show the location ourselves).
fn translate_serde_message(message: &str) -> String {
    let message = match message.find(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    message.to_string()
}

fn missing_field(message: &str) -> Option<&str> {
    let rest = message.split("missing field `").nth(1)?;
    rest.split('`').next()
}

/// The closest known name to a misspelled one, if it is close enough to be a typo.
pub fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&lower, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The field names serde expects for `T`, read from its derived `Deserialize` impl, so the
/// list of accepted keys can never drift from the struct.
pub fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Introspect(Option<&'static [&'static str]>);

    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("introspection")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }

    impl<'de> de::Deserializer<'de> for &mut Introspect {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0 = Some(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut introspect = Introspect(None);
    let _ = T::deserialize(&mut introspect);
    introspect.0.unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn doc(yaml: &str) -> Document<'_> {
        Document {
            path: Path::new("x.md"),
            file_text: yaml,
            yaml,
            first_line: 1,
        }
    }

    #[test]
    fn fields_are_read_from_the_struct() {
        assert_eq!(struct_fields::<Sample>(), &["title", "tags"]);
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_suggestion() {
        let errors = doc("titel: a\ntagz: [b]\nfoo: 1\n")
            .parse::<Sample>("l'article")
            .unwrap_err();
        assert_eq!(errors.len(), 3);
        assert_eq!(errors[0].line, 1);
        assert_eq!(
            errors[0].help.as_deref(),
            Some("vouliez-vous dire `title` ?")
        );
        assert_eq!(errors[1].line, 2);
        assert_eq!(
            errors[1].help.as_deref(),
            Some("vouliez-vous dire `tags` ?")
        );
        assert!(
            errors[2]
                .help
                .as_deref()
                .unwrap()
                .starts_with("champs possibles")
        );
    }

    #[test]
    fn type_errors_are_located() {
        let errors = doc("title: a\ntags: 3\n")
            .parse::<Sample>("l'article")
            .unwrap_err();
        assert_eq!(errors[0].line, 2, "{:?}", errors[0]);
    }
}
