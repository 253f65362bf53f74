//! Benchmark corpus generator: writes a realistic site of N articles in our content format and,
//! with `--hugo DIR`, the same content as a Hugo site, so both generators build identical input.
//! Deterministic from `--seed`.
//!
//! cargo run --release --example corpus -- --pages 10000 --seed 42 --out /dev/shm/c10k --hugo /dev/shm/h10k

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

const WORDS: &[&str] = &[
    "python",
    "fonction",
    "variable",
    "liste",
    "dictionnaire",
    "classe",
    "objet",
    "méthode",
    "module",
    "paquet",
    "projet",
    "données",
    "fichier",
    "test",
    "erreur",
    "exception",
    "boucle",
    "condition",
    "chaîne",
    "nombre",
    "développeur",
    "étudiant",
    "mentor",
    "parcours",
    "application",
    "serveur",
    "requête",
    "réponse",
    "base",
    "table",
    "colonne",
    "index",
    "modèle",
    "vue",
    "formulaire",
    "gabarit",
    "route",
    "argument",
    "paramètre",
    "valeur",
    "retour",
    "appel",
    "import",
    "environnement",
    "dépendance",
    "version",
    "commande",
    "terminal",
    "éditeur",
    "dépôt",
    "branche",
    "commit",
    "fusion",
    "revue",
    "documentation",
    "exemple",
    "astuce",
    "piège",
    "performance",
    "mémoire",
    "itérateur",
    "générateur",
    "décorateur",
    "contexte",
    "annotation",
    "typage",
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "du",
    "de",
    "et",
    "ou",
    "mais",
    "donc",
    "car",
    "avec",
    "sans",
    "pour",
    "dans",
    "sur",
    "sous",
    "entre",
    "vers",
    "chaque",
    "tout",
    "simple",
    "rapide",
    "clair",
    "lisible",
    "utile",
    "nouveau",
    "ancien",
    "premier",
    "dernier",
    "grand",
    "petit",
    "bon",
    "meilleur",
    "facile",
    "difficile",
    "écrire",
    "lire",
    "tester",
    "corriger",
    "installer",
    "lancer",
    "comprendre",
    "apprendre",
    "utiliser",
    "créer",
    "modifier",
    "supprimer",
    "ajouter",
    "vérifier",
    "afficher",
    "calculer",
    "parcourir",
    "trier",
    "est",
    "sont",
    "peut",
    "doit",
    "fait",
    "permet",
    "évite",
    "rend",
    "garde",
    "donne",
    "prend",
    "montre",
];

const TAG_STEMS: &[&str] = &[
    "Python",
    "Django",
    "Flask",
    "FastAPI",
    "pytest",
    "SQL",
    "SQLite",
    "PostgreSQL",
    "Git",
    "GitHub",
    "Docker",
    "typage",
    "asyncio",
    "pandas",
    "NumPy",
    "API",
    "REST",
    "HTML",
    "CSS",
    "JavaScript",
    "tests",
    "débutant",
    "algorithmes",
    "POO",
    "regex",
    "CLI",
    "packaging",
    "environnements",
    "sécurité",
    "performance",
    "débogage",
    "refactoring",
    "architecture",
    "design patterns",
    "portfolio",
    "entretien",
    "soutenance",
    "Linux",
    "VS Code",
    "PyCharm",
];
const TAG_SUFFIXES: &[&str] = &["", " avancé", " pratique", " 101", " en production"];

const CATEGORIES: &[(&str, &str)] = &[
    ("python", "Python"),
    ("web", "Développement web"),
    ("donnees", "Données"),
    ("outils", "Outils"),
    ("carriere", "Carrière"),
    ("communaute", "Communauté"),
    ("tests", "Tests et qualité"),
    ("algorithmique", "Algorithmique"),
    ("devops", "DevOps"),
    ("securite", "Sécurité"),
    ("projets", "Projets du parcours"),
    ("astuces", "Astuces"),
];

const PYTHON: &[&str] = &[
    "def {f}(items: list[int]) -> int:",
    "    \"\"\"Calcule la somme des éléments pairs.\"\"\"",
    "    total = 0",
    "    for item in items:",
    "        if item % 2 == 0:",
    "            total += item",
    "    return total",
    "",
    "class {C}:",
    "    def __init__(self, nom: str, age: int = 0) -> None:",
    "        self.nom = nom",
    "        self.age = age",
    "",
    "    def __repr__(self) -> str:",
    "        return f\"{C}(nom={self.nom!r}, age={self.age})\"",
    "",
    "@dataclass(frozen=True)",
    "class Point:",
    "    x: float",
    "    y: float",
    "",
    "match commande.split():",
    "    case [\"aide\"]:",
    "        print(\"Commandes : aide, quitter\")",
    "    case [\"quitter\" | \"q\"]:",
    "        raise SystemExit(0)",
    "with open(\"donnees.json\", encoding=\"utf-8\") as fichier:",
    "    donnees = json.load(fichier)  # lecture du fichier",
    "resultats = {cle: valeur * 2 for cle, valeur in donnees.items() if valeur}",
    "print(f\"{len(resultats)} résultats en {duree:.2f} s\")",
];

/// Small deterministic PRNG (SplitMix64): the corpus must not change with a crate's version.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

struct Args {
    pages: usize,
    seed: u64,
    out: PathBuf,
    hugo: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args {
        pages: 1000,
        seed: 42,
        out: PathBuf::from("corpus"),
        hugo: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--pages" => args.pages = value().parse().expect("--pages N"),
            "--seed" => args.seed = value().parse().expect("--seed N"),
            "--out" => args.out = PathBuf::from(value()),
            "--hugo" => args.hugo = Some(PathBuf::from(value())),
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

struct Article {
    slug: String,
    title: String,
    date: String,
    tags: Vec<String>,
    category: &'static str,
    author: usize,
    series: Option<(usize, usize)>,
    body: String,
}

fn sentence(rng: &mut Rng) -> String {
    let n = rng.range(8, 22);
    let mut s = String::new();
    for i in 0..n {
        let w = rng.pick(WORDS);
        if i == 0 {
            let mut c = w.chars();
            s.extend(c.next().map(|f| f.to_uppercase().collect::<String>()));
            s.push_str(c.as_str());
        } else {
            s.push(' ');
            match rng.below(30) {
                0 => write!(s, "`{w}()`").unwrap(),
                1 => write!(s, "**{w}**").unwrap(),
                2 => write!(s, "*{w}*").unwrap(),
                3 => write!(s, "[{w}](https://docs.python.org/fr/3/library/{w}.html)").unwrap(),
                _ => s.push_str(w),
            }
        }
    }
    s.push_str(if rng.below(8) == 0 { " ?" } else { "." });
    s
}

fn body(rng: &mut Rng, with_code: bool) -> String {
    let target = rng.range(800, 1500);
    let mut text = String::new();
    let mut words = 0;
    let mut section = 0;
    let code_at = if with_code {
        rng.range(1, 3)
    } else {
        usize::MAX
    };
    while words < target {
        if words > 0 && rng.below(4) == 0 {
            section += 1;
            writeln!(
                text,
                "## {} {section}\n",
                sentence(rng).trim_end_matches(['.', '?', ' '])
            )
            .unwrap();
        }
        if section == code_at {
            let lines = rng.range(10, 30);
            text.push_str("```python\n");
            for _ in 0..lines {
                let line = rng
                    .pick(PYTHON)
                    .replace("{f}", rng.pick(&["somme", "calcul", "traiter", "filtrer"]))
                    .replace("{C}", "Membre");
                text.push_str(&line);
                text.push('\n');
            }
            text.push_str("```\n\n");
            section += 1;
        }
        if rng.below(6) == 0 {
            for _ in 0..rng.range(3, 5) {
                let s = sentence(rng);
                words += s.split(' ').count();
                writeln!(text, "- {s}").unwrap();
            }
            text.push('\n');
        } else {
            let mut p = String::new();
            for _ in 0..rng.range(3, 6) {
                let s = sentence(rng);
                words += s.split(' ').count();
                p.push_str(&s);
                p.push(' ');
            }
            writeln!(text, "{}\n", p.trim_end()).unwrap();
        }
    }
    text
}

fn yaml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|t| format!("\"{t}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn main() {
    let args = parse_args();
    let mut rng = Rng(args.seed);
    let tags: Vec<String> = TAG_STEMS
        .iter()
        .flat_map(|s| TAG_SUFFIXES.iter().map(move |x| format!("{s}{x}")))
        .collect();
    let authors = 25;
    let series_count = (args.pages / 50).max(1);
    let mut articles = Vec::with_capacity(args.pages);
    let mut series_parts = vec![0usize; series_count];
    for i in 0..args.pages {
        let title = format!(
            "{} ({})",
            sentence(&mut rng).trim_end_matches(['.', '?', ' ']),
            i + 1
        );
        let day = i % 2000;
        let date =
            chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(day as u64);
        let n_tags = rng.range(1, 4);
        let mut article_tags: Vec<String> = (0..n_tags)
            .map(|_| tags[rng.below(tags.len())].clone())
            .collect();
        article_tags.sort();
        article_tags.dedup();
        let series = if rng.below(10) == 0 {
            let s = rng.below(series_count);
            series_parts[s] += 1;
            Some((s, series_parts[s]))
        } else {
            None
        };
        let with_code = rng.below(3) == 0;
        articles.push(Article {
            slug: format!("article-{:05}", i + 1),
            title,
            date: format!("{date} {:02}:{:02}", rng.range(7, 21), rng.below(60)),
            tags: article_tags,
            category: CATEGORIES[rng.below(CATEGORIES.len())].0,
            author: rng.below(authors),
            series,
            body: body(&mut rng, with_code),
        });
    }
    let resources = args.pages / 20;
    let events = (args.pages / 100).max(2);

    // Our format.
    let out = &args.out;
    let _ = fs::remove_dir_all(out);
    let mut site = String::from(
        "title: Corpus\ndescription: Corpus de mesure\nbase_url: https://example.org\nlanguage: fr\ntimezone: Europe/Paris\ncategories:\n",
    );
    for (slug, name) in CATEGORIES {
        writeln!(site, "  - slug: {slug}\n    name: {name}").unwrap();
    }
    write(&out.join("site.yaml"), &site);
    for a in 0..authors {
        write(
            &out.join(format!("content/authors/membre-{a}.md")),
            &format!("---\nname: Membre {a}\n---\n\nMembre numéro {a} de la communauté.\n"),
        );
    }
    for s in 0..series_count {
        write(
            &out.join(format!("content/series/serie-{s}.md")),
            &format!("---\ntitle: Série {s}\n---\n\nUne série de mesure.\n"),
        );
    }
    for a in &articles {
        let mut fm = format!(
            "---\ntitle: \"{}\"\ndate: {}\nauthors: [membre-{}]\ntags: {}\ncategories: [{}]\n",
            a.title,
            a.date,
            a.author,
            yaml_list(&a.tags),
            a.category
        );
        if let Some((s, part)) = a.series {
            writeln!(fm, "series: serie-{s}\npart: {part}").unwrap();
        }
        fm.push_str("---\n\n");
        write(
            &out.join(format!("content/articles/{}.md", a.slug)),
            &format!("{fm}{}", a.body),
        );
    }
    for r in 0..resources {
        let tag = &tags[r % tags.len()];
        write(
            &out.join(format!("content/resources/ressource-{r:04}.md")),
            &format!(
                "---\ntitle: Ressource {r}\nurl: https://example.org/ressource/{r}\nkind: article\ndate: 2024-01-{:02}\ntags: [\"{tag}\"]\ncategories: [outils]\n---\n\nUne ressource utile.\n",
                r % 28 + 1
            ),
        );
    }
    for e in 0..events {
        write(
            &out.join(format!("content/events/webinaire-{e:03}.md")),
            &format!(
                "---\ntitle: Webinaire {e}\nstart: 2025-{:02}-{:02} 19:00\nend: 2025-{:02}-{:02} 20:30\ncapacity: 30\ntags: [Python]\ncategories: [communaute]\n---\n\nUn webinaire.\n",
                e % 12 + 1,
                e % 28 + 1,
                e % 12 + 1,
                e % 28 + 1
            ),
        );
    }
    // Reuse the repository's theme.
    let theme = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default");
    copy_dir(&theme, &out.join("themes/default"));

    // The same content for Hugo.
    if let Some(hugo) = &args.hugo {
        let _ = fs::remove_dir_all(hugo);
        write(&hugo.join("hugo.toml"), HUGO_CONFIG);
        for (name, text) in HUGO_LAYOUTS {
            write(&hugo.join("layouts").join(name), text);
        }
        for a in &articles {
            let fm = format!(
                "---\ntitle: \"{}\"\ndate: {}\nauthors: [membre-{}]\ntags: {}\ncategories: [{}]\n---\n\n",
                a.title,
                a.date.replace(' ', "T") + ":00+01:00",
                a.author,
                yaml_list(&a.tags),
                a.category
            );
            write(
                &hugo.join(format!("content/articles/{}.md", a.slug)),
                &format!("{fm}{}", a.body),
            );
        }
    }
    eprintln!(
        "{} articles, {resources} ressources, {events} événements, {series_count} séries → {}",
        articles.len(),
        out.display()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Hugo renders what we render: class-based highlighting, tag and category pages, feeds for the
/// home page, sections and every term, paginated section lists.
const HUGO_CONFIG: &str = r#"baseURL = "https://example.org/"
languageCode = "fr"
title = "Corpus"
disableKinds = []
[taxonomies]
  tag = "tags"
  category = "categories"
[markup.highlight]
  noClasses = false
[markup.goldmark.extensions]
  table = true
  footnote = true
  strikethrough = true
  taskList = true
[pagination]
  pagerSize = 10
[outputs]
  home = ["html", "rss"]
  section = ["html", "rss"]
  taxonomy = ["html"]
  term = ["html", "rss"]
"#;

const HUGO_LAYOUTS: &[(&str, &str)] = &[
    (
        "_default/baseof.html",
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{{ .Title }}</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\n<body><header><a href=\"/\">{{ .Site.Title }}</a></header><main>{{ block \"main\" . }}{{ end }}</main></body></html>\n",
    ),
    (
        "_default/single.html",
        "{{ define \"main\" }}<article><h1>{{ .Title }}</h1><p><time>{{ .Date.Format \"2 January 2006\" }}</time></p>{{ .Content }}<ul>{{ range .Params.tags }}<li><a href=\"{{ \"tags/\" | relURL }}{{ . | urlize }}/\">{{ . }}</a></li>{{ end }}</ul></article>{{ end }}\n",
    ),
    (
        "_default/list.html",
        "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ range (.Paginate .Pages).Pages }}<article><h2><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></h2><p>{{ .Summary | plainify | truncate 200 }}</p></article>{{ end }}{{ end }}\n",
    ),
    (
        "_default/taxonomy.html",
        "{{ define \"main\" }}<h1>{{ .Title }}</h1><ul>{{ range .Data.Terms.ByCount }}<li><a href=\"{{ .Page.RelPermalink }}\">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>{{ end }}\n",
    ),
    (
        "_default/term.html",
        "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ range .Pages }}<article><h2><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></h2><p>{{ .Summary | plainify | truncate 200 }}</p></article>{{ end }}{{ end }}\n",
    ),
    (
        "index.html",
        "{{ define \"main\" }}<h1>{{ .Site.Title }}</h1>{{ range first 10 (where .Site.RegularPages \"Section\" \"articles\") }}<article><h2><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></h2><p>{{ .Summary | plainify | truncate 200 }}</p></article>{{ end }}{{ end }}\n",
    ),
];
