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
        let parsed = self.parse_all::<T>(what);
        match parsed.value {
            Some(value) if parsed.problems.is_empty() => Ok(value),
            _ => Err(parsed.problems),
        }
    }

    /// Parses the document into `T` and reports every problem of it at once: every unknown
    /// key, every value of the wrong type, every missing required field. One problem does not
    /// hide the next: the keys in error are set aside (their lines blanked) and each missing
    /// field is given a stand-in, until `T` reads. When it does, `value` is what the front
    /// matter says apart from those keys, read from `patched`, so that its other fields can be
    /// checked too (a bad date, an unknown author); the stand-ins are on the lines after the
    /// document's last one. A syntax error stops there: nothing after it can be trusted.
    pub fn parse_all<T: DeserializeOwned>(&self, what: &str) -> Parsed<T> {
        let value: Value = if self.yaml.trim().is_empty() {
            Value::Mapping(Mapping::new())
        } else {
            match serde_norway::from_str(self.yaml) {
                Ok(value) => value,
                Err(e) => return Parsed::failed(vec![self.serde_error(&e, what)]),
            }
        };
        let Value::Mapping(map) = value else {
            return Parsed::failed(vec![self.error_at(
                1,
                1,
                1,
                format!("{what} doit être une liste de champs `clé: valeur`"),
            )]);
        };
        let known = struct_fields::<T>();
        let mut problems = Vec::new();
        // Top-level keys set aside: unknown, or holding a value of the wrong type.
        let mut set_aside: Vec<String> = Vec::new();
        // Fields an unknown key is a misspelling of: their absence is that key's problem.
        let mut suggested: Vec<&str> = Vec::new();
        for key in map.keys() {
            let Some(name) = key.as_str() else {
                problems.push(self.error_at(
                    1,
                    1,
                    1,
                    format!("clé non textuelle dans {what} : {key:?}"),
                ));
                return Parsed::failed(problems);
            };
            if !known.contains(&name) {
                let mut d = self.key_error(name, format!("champ inconnu `{name}` dans {what}"));
                d = match did_you_mean(name, known) {
                    Some(s) => {
                        suggested.push(s);
                        d.with_help(format!("vouliez-vous dire `{s}` ?"))
                    }
                    None => d.with_help(format!("champs possibles : {}", known.join(", "))),
                };
                problems.push(d);
                set_aside.push(name.to_string());
            }
        }
        let written_lines = self.yaml.lines().count();
        // Missing fields, each with the stand-in value tried for it.
        let mut stand_ins: Vec<(String, String)> = Vec::new();
        for _ in 0..(known.len() + map.len()) * 4 + 2 {
            let Some(text) = self.patched(&set_aside, &stand_ins) else {
                return Parsed::failed(problems);
            };
            let e = match serde_norway::from_str::<T>(if text.trim().is_empty() {
                "{}"
            } else {
                &text
            }) {
                Ok(value) => {
                    let patched = (!set_aside.is_empty() || !stand_ins.is_empty()).then_some(text);
                    return Parsed {
                        value: Some(value),
                        problems,
                        patched,
                    };
                }
                Err(e) => e,
            };
            let message = e.to_string();
            if let Some(field) = missing_field(&message) {
                if stand_ins.iter().any(|(f, _)| f == field) {
                    return Parsed::failed(problems);
                }
                if !set_aside.iter().any(|k| k == field) && !suggested.contains(&field) {
                    problems.push(self.serde_error(&e, what));
                }
                stand_ins.push((field.to_string(), STAND_INS[0].to_string()));
                continue;
            }
            match e.location() {
                Some(loc) if loc.line() <= written_lines => {
                    problems.push(self.serde_error(&e, what));
                    match self.key_at(loc.line()) {
                        Some(key) if !set_aside.contains(&key) => set_aside.push(key),
                        _ => return Parsed::failed(problems),
                    }
                }
                Some(loc) => {
                    // A stand-in of the wrong type: the next one.
                    let Some((_, tried)) = stand_ins.get_mut(loc.line() - written_lines - 1) else {
                        return Parsed::failed(problems);
                    };
                    let next = first_variant(&message).filter(|v| v != tried).or_else(|| {
                        let i = STAND_INS.iter().position(|s| s == tried)?;
                        STAND_INS.get(i + 1).map(|s| s.to_string())
                    });
                    match next {
                        Some(next) => *tried = next,
                        None => return Parsed::failed(problems),
                    }
                }
                None => {
                    problems.push(self.serde_error(&e, what));
                    return Parsed::failed(problems);
                }
            }
        }
        Parsed::failed(problems)
    }

    /// The YAML with the blocks of the top-level `keys` blanked (lines kept, so positions stay
    /// true) and `stand_ins` appended; `None` when a key cannot be found as written.
    fn patched(&self, keys: &[String], stand_ins: &[(String, String)]) -> Option<String> {
        let mut lines: Vec<&str> = self.yaml.lines().collect();
        for key in keys {
            let (line, _) = self.key_position(key)?;
            let end = block_end(&lines, line - 1);
            for slot in &mut lines[line - 1..end] {
                *slot = "";
            }
        }
        let mut text = lines.join("\n");
        if !lines.is_empty() {
            text.push('\n');
        }
        for (field, value) in stand_ins {
            text.push_str(&format!("{field}: {value}\n"));
        }
        Some(text)
    }

    /// The top-level key whose block holds `line` (1-based, in the YAML text).
    fn key_at(&self, line: usize) -> Option<String> {
        let lines: Vec<&str> = self.yaml.lines().collect();
        let start = (0..line.min(lines.len()))
            .rev()
            .find(|&i| starts_block(lines[i]))?;
        let key = lines[start].split(':').next()?.trim();
        (!key.is_empty() && self.key_position(key) == Some((start + 1, 1))).then(|| key.to_string())
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

/// Values tried in turn for a missing field, so that the fields after it are read: one of
/// them fits any field of the front matters (text, list, number, flag); an enumeration takes
/// the first variant its error names.
const STAND_INS: [&str; 4] = ["\"\"", "[]", "1", "false"];

/// What [`Document::parse_all`] found.
pub struct Parsed<T> {
    /// The document read, apart from the keys in error and with stand-ins for missing fields;
    /// `None` when even that cannot be read.
    pub value: Option<T>,
    pub problems: Vec<Diagnostic>,
    /// The YAML `value` was read from, when it is not the document's own.
    pub patched: Option<String>,
}

impl<T> Parsed<T> {
    fn failed(problems: Vec<Diagnostic>) -> Self {
        Parsed {
            value: None,
            problems,
            patched: None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        Parsed {
            value: self.value.map(f),
            problems: self.problems,
            patched: self.patched,
        }
    }
}

/// Whether a line opens a top-level block (`key: …`), rather than continuing one.
fn starts_block(line: &str) -> bool {
    !line.is_empty() && !line.starts_with([' ', '\t', '-', '#'])
}

/// The index after the last line of the block opened at `start`.
fn block_end(lines: &[&str], start: usize) -> usize {
    (start + 1..lines.len())
        .find(|&i| starts_block(lines[i]) || lines[i].starts_with("---"))
        .unwrap_or(lines.len())
}

/// The first variant named by serde's "unknown variant `x`, expected one of `a`, `b`".
fn first_variant(message: &str) -> Option<String> {
    let rest = message.split("expected one of `").nth(1)?;
    rest.split('`').next().map(str::to_owned)
}

/// serde_norway's message in French, without its " at line X column Y" (the location is shown
/// by the diagnostic). `missing field` is kept as is: [`Document::serde_error`] reads it.
fn translate_serde_message(message: &str) -> String {
    let message = match message
        .find(" at line ")
        .or_else(|| message.find(" at position "))
    {
        Some(i) => &message[..i],
        None => message,
    };
    if message.contains("missing field `") {
        return message.to_string();
    }
    // serde_norway names the field in error first: `tags: invalid type: …`.
    let (field, rest) = match message.split_once(": ") {
        Some((path, rest))
            if !path.is_empty()
                && !path.contains(' ')
                && !["invalid type", "invalid value", "invalid length"].contains(&path) =>
        {
            (Some(path), rest)
        }
        _ => (None, message),
    };
    let french = translate_problem(rest);
    match field {
        Some(field) => format!("`{field}` : {french}"),
        None => french,
    }
}

/// One serde or YAML problem, in French (the English text when none is known, quoted).
fn translate_problem(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ");
        return format!("valeur « {value} » inconnue : valeurs possibles {expected}");
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!(
            "type invalide : {} au lieu {}",
            french_found(found),
            french_expected(expected)
        );
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!(
            "valeur invalide : {} au lieu {}",
            french_found(found),
            french_expected(expected)
        );
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!(
            "nombre d'éléments invalide ({found}) au lieu {}",
            french_expected(expected)
        );
    }
    if let Some(rest) = message
        .strip_prefix("duplicate field `")
        .or_else(|| message.strip_prefix("duplicate entry with key \""))
    {
        let key = rest.trim_end_matches(['`', '"']);
        return format!("le champ `{key}` est écrit deux fois : gardez-en un seul");
    }
    let known: &[(&str, &str)] = &[
        (
            "mapping values are not allowed in this context",
            "« : » inattendu : une valeur qui contient « : » s'écrit entre guillemets (`title: \"Django : le guide\"`)",
        ),
        (
            "mapping keys are not allowed in this context",
            "clé inattendue ici : vérifiez l'indentation",
        ),
        (
            "did not find expected key",
            "clé attendue : vérifiez l'indentation et les guillemets de la ligne précédente",
        ),
        (
            "found character that cannot start any token",
            "caractère qui ne peut pas commencer une valeur (`@`, `` ` ``, `%` ou une tabulation) : mettez la valeur entre guillemets",
        ),
        (
            "did not find expected ',' or ']'",
            "liste entre crochets mal fermée : « , » ou « ] » attendu",
        ),
        (
            "did not find expected ',' or '}'",
            "accolades mal fermées : « , » ou « } » attendu",
        ),
        (
            "could not find expected ':'",
            "« : » attendu après le nom du champ",
        ),
        (
            "found unexpected end of stream",
            "fin inattendue : un guillemet, un crochet ou une accolade n'est pas fermé",
        ),
        (
            "found unknown escape character",
            "caractère d'échappement inconnu après « \\ » entre guillemets doubles : utilisez des guillemets simples",
        ),
        (
            "block sequence entries are not allowed in this context",
            "élément de liste « - » inattendu ici : vérifiez l'indentation",
        ),
        ("did not find expected node content", "valeur attendue"),
        (
            "did not find expected '-' indicator",
            "élément de liste « - » attendu : vérifiez l'indentation",
        ),
        (
            "found a tab character",
            "tabulation dans l'indentation : indentez avec des espaces",
        ),
        ("found unexpected ':'", "« : » inattendu"),
        (
            "found undefined tag handle",
            "« ! » inattendu : mettez la valeur entre guillemets",
        ),
        (
            "unknown anchor",
            "ancre YAML `*…` inconnue : mettez la valeur entre guillemets",
        ),
        ("recursion limit exceeded", "imbrication trop profonde"),
        (
            "repetition limit exceeded",
            "trop de répétitions (alias YAML)",
        ),
        (
            "EOF while parsing a value",
            "fin inattendue : une valeur manque",
        ),
        ("failed to parse YAML number", "nombre illisible"),
        (
            "deserializing from YAML containing more than one document",
            "plusieurs documents YAML (`---`) : un seul en-tête par fichier",
        ),
    ];
    for (english, french) in known {
        if message.starts_with(english) {
            return (*french).to_string();
        }
    }
    format!("YAML invalide ({message})")
}

/// What serde found (`integer \`3\``, `string "x"`, `sequence`…), in French.
fn french_found(found: &str) -> String {
    let value = |prefix: &str| {
        found
            .strip_prefix(prefix)
            .map(|v| v.trim().trim_matches('`').to_string())
    };
    if let Some(v) = value("integer") {
        return format!("le nombre {v}");
    }
    if let Some(v) = value("floating point") {
        return format!("le nombre {v}");
    }
    if let Some(v) = value("boolean") {
        return format!("le booléen {v}");
    }
    if let Some(v) = value("string") {
        return format!("le texte {v}");
    }
    if let Some(v) = value("character") {
        return format!("le caractère {v}");
    }
    match found {
        "sequence" => "une liste".into(),
        "map" => "une liste de champs `clé: valeur`".into(),
        "unit value" | "null" => "une valeur vide".into(),
        other => format!("« {other} »"),
    }
}

/// What serde expected (`a sequence`, `u32`, `a boolean`…), with its French preposition.
fn french_expected(expected: &str) -> String {
    let e = expected.trim();
    let french = match e {
        "a sequence" => "d'une liste (`[a, b]` ou des lignes `- a`)",
        "a string" | "a borrowed string" => "d'un texte",
        "a boolean" => "de `true` ou `false`",
        "a map" => "d'une liste de champs `clé: valeur`",
        "a character" => "d'un caractère",
        "u8" | "u16" | "u32" | "u64" | "usize" => "d'un nombre entier positif",
        "i8" | "i16" | "i32" | "i64" | "isize" => "d'un nombre entier",
        "f32" | "f64" => "d'un nombre",
        _ if e.starts_with("struct ") => "d'une liste de champs `clé: valeur`",
        _ if e.starts_with("one of ") => {
            return format!("d'une de ces valeurs : {}", &e["one of ".len()..]);
        }
        _ => return format!("de « {e} »"),
    };
    french.to_string()
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
    fn one_problem_does_not_hide_the_others() {
        // Unknown key, type error and missing field, all at once, in French.
        let errors = doc("tagz: [b]\ntags: 3\n")
            .parse::<Sample>("l'article")
            .unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "champ inconnu `tagz` dans l'article",
                "`tags` : type invalide : le nombre 3 au lieu d'une liste (`[a, b]` ou des lignes `- a`)",
                "champ obligatoire `title` manquant dans l'article",
            ]
        );
        assert_eq!(errors[1].line, 2);
        // A misspelling of a required field is one problem, not two; the rest is read.
        let parsed = doc("titel: a\ntags: [x]\n").parse_all::<Sample>("l'article");
        assert_eq!(parsed.problems.len(), 1, "{:?}", parsed.problems);
        assert_eq!(parsed.value.unwrap().tags, ["x"]);
        assert_eq!(
            parsed.patched.as_deref(),
            Some("\ntags: [x]\ntitle: \"\"\n")
        );
    }

    #[test]
    fn yaml_syntax_errors_are_in_french() {
        let errors = doc("title: Django : le guide\n")
            .parse::<Sample>("l'article")
            .unwrap_err();
        assert!(
            errors[0].message.starts_with("« : » inattendu"),
            "{}",
            errors[0]
        );
        let errors = doc("title: [a, b\n")
            .parse::<Sample>("l'article")
            .unwrap_err();
        assert!(!errors[0].message.contains("expected"), "{}", errors[0]);
    }

    #[test]
    fn type_errors_are_located() {
        let errors = doc("title: a\ntags: 3\n")
            .parse::<Sample>("l'article")
            .unwrap_err();
        assert_eq!(errors[0].line, 2, "{:?}", errors[0]);
    }
}
