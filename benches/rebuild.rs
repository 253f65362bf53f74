//! Rebuild benchmark for `serve`: loads a generated corpus (examples/corpus.rs) into an
//! incremental session, then edits one article again and again and times each rebuild, from
//! the moment the file is written to the moment the changed files are written. Scenarios: an
//! edit of the body past its first paragraph (the common case), an edit of the first paragraph
//! (the summary changes, so lists showing the article's card are rendered again), an edit of
//! the front matter keeping the site's structure (the title: the item is patched in), a tag
//! that other articles have (patched in with the tag's lists), a tag no other article has (a
//! tag page appears: patched in, the files of the site planned again), a new publication date
//! (the article moves in every list it is in: patched in, the files showing those lists
//! fingerprinted again), the date of a numbered part of a series (its series may move too), and
//! the same edits seen through the file watcher (`watch`: system event, batching, rebuild;
//! with an atomic save too).
//!
//!   cargo run --release --example corpus -- --pages 10000 --seed 42 --out /dev/shm/c10k
//!   cargo bench --bench rebuild -- --corpus /dev/shm/c10k --runs 30
//!
//! Options: `--corpus DIR` (default /dev/shm/c10k), `--runs N` (default 30), `--work DIR`
//! (default /dev/shm/classmates-rebuild, replaced), `--only K` (only the K-th scenario, 1 to
//! 10; 7 is the watcher; 8, not run otherwise, adds and deletes an article; 9 edits the date of
//! an article of a series; 10, not run otherwise, makes structural edits as `serve` does, the
//! pages deep in lists left for later: an article added and deleted, put in draft and
//! published, a series part moved),
//! `--verify` (compare the final output with a full build of the same state). With `PHASES=1`
//! in the environment, the median time of each phase of a rebuild is printed too.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use classmates::build::BuildOptions;
use classmates::incremental::Session;

// The same allocator as the `classmates` binary, so that the times are those of `serve`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The watcher's scenario where the file is saved as a temporary file renamed over it.
const ATOMIC: &str =
    "corps, enregistrement atomique (fichier temporaire renommé), via la surveillance";

fn main() {
    let mut corpus = PathBuf::from("/dev/shm/c10k");
    let mut work = PathBuf::from("/dev/shm/classmates-rebuild");
    let mut runs = 30usize;
    let mut verify = false;
    let mut only: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--corpus" => corpus = args.next().expect("--corpus DIR").into(),
            "--work" => work = args.next().expect("--work DIR").into(),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--verify" => verify = true,
            "--only" => only = args.next().and_then(|n| n.parse().ok()),
            // Given by `cargo bench`.
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(
        corpus.join("content").is_dir(),
        "no corpus in {} (cargo run --release --example corpus -- --pages 10000 --seed 42 --out {})",
        corpus.display(),
        corpus.display()
    );

    // The corpus's content with the repository's current theme.
    let _ = std::fs::remove_dir_all(&work);
    let root = work.join("site");
    copy_dir(&corpus.join("content"), &root.join("content"));
    std::fs::copy(corpus.join("site.yaml"), root.join("site.yaml")).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&repo.join("themes/default"), &root.join("themes/default"));
    let root = std::fs::canonicalize(&root).unwrap();

    let options = BuildOptions {
        root: root.clone(),
        output: work.join("out"),
        drafts: false,
        now: "2026-01-01T00:00:00Z".parse().unwrap(),
        base_url: None,
        registration_api: None,
    };
    let mut session = Session::new(options.clone());
    let started = Instant::now();
    let full = session.rebuild().expect("the corpus builds");
    println!(
        "Corpus {} : {} pages HTML, {} fichiers, {} avertissements ; construction complète (session neuve) : {} ms",
        corpus.display(),
        full.total_pages,
        full.total_files,
        full.warnings.warning_count(),
        started.elapsed().as_millis()
    );
    if std::env::var_os("PHASES").is_some() {
        for (phase, d) in &full.phases {
            eprintln!("    {phase} : {:.1} ms", d.as_secs_f64() * 1000.0);
        }
    }

    let mut articles: Vec<PathBuf> = std::fs::read_dir(root.join("content/articles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    articles.sort();
    let article = articles[articles.len() / 2].clone();
    let original = std::fs::read_to_string(&article).unwrap();
    println!(
        "Article modifié : {}",
        article.strip_prefix(&root).unwrap().display()
    );
    println!();
    println!("| Modification | Médiane | p90 | Min | Max | Fichiers écrits (médiane) |");
    println!("|---|---|---|---|---|---|");

    let scenarios: [(&str, Edit); 6] = [
        ("corps (après le 1er paragraphe)", edit_body),
        ("1er paragraphe (résumé)", edit_first_paragraph),
        ("en-tête (titre)", edit_title),
        ("étiquette existante ajoutée", edit_existing_tag),
        (
            "nouvelle étiquette (une page d'étiquette apparaît : fichiers du site planifiés à nouveau)",
            edit_new_tag,
        ),
        (
            "date de publication (l'article change de place dans ses listes : les pages de ces listes réexaminées)",
            edit_date,
        ),
    ];
    for (n, (name, edit)) in scenarios.into_iter().enumerate() {
        if only.is_some_and(|o| o != n + 1) {
            continue;
        }
        let mut times = Vec::new();
        let mut files = Vec::new();
        let mut phases: Vec<Vec<(&str, Duration)>> = Vec::new();
        for i in 0..runs {
            std::fs::write(&article, edit(&original, i)).unwrap();
            let t = Instant::now();
            session.changed(&article);
            let report = session.rebuild().expect("the edited corpus builds");
            times.push(t.elapsed());
            files.push(report.files);
            phases.push(report.phases);
        }
        row(name, &mut times, &mut files);
        print_median_phases(name, &phases);
    }

    // The date of a numbered part of a series: the article moves in its lists, and so does its
    // series when it takes a new date from its latest part (`--only 9`, also in the default
    // run).
    if only.is_none_or(|o| o == 9) {
        std::fs::write(&article, &original).unwrap();
        session.changed(&article);
        session.rebuild().expect("the corpus builds");
        let part = articles[articles.len() / 2..]
            .iter()
            .find(|p| std::fs::read_to_string(p).unwrap().contains("\nseries: "))
            .expect("an article of a series");
        let text = std::fs::read_to_string(part).unwrap();
        let (mut times, mut files) = (Vec::new(), Vec::new());
        for i in 0..runs {
            std::fs::write(part, edit_date(&text, i * 2)).unwrap();
            let (time, report) = timed_rebuild(&mut session, part);
            times.push(time);
            files.push(report.files);
            std::fs::write(part, &text).unwrap();
            session.changed(part);
            session.rebuild().expect("the corpus builds");
        }
        let name = format!(
            "date d'un article de série ({} : l'article et sa série changent de place dans leurs listes)",
            part.strip_prefix(&root).unwrap().display()
        );
        row(&name, &mut times, &mut files);
    }

    // The same edits seen through the watcher as `serve` sees them (from the original).
    if only.is_none_or(|o| o == 7) {
        std::fs::write(&article, &original).unwrap();
        session.changed(&article);
        session.rebuild().expect("the corpus builds");
        let mut watcher = classmates::watch::Watcher::new(&root, None).expect("watcher");
        let mut waits = Vec::new();
        let watched: [(&str, Edit); 7] = [
            (
                "corps, via la surveillance des fichiers (écriture du fichier → écrit)",
                edit_body,
            ),
            // Written next to it and renamed over it, as editors' atomic saves do.
            (ATOMIC, edit_body),
            (
                "1er paragraphe, via la surveillance des fichiers",
                edit_first_paragraph,
            ),
            ("en-tête, via la surveillance des fichiers", edit_title),
            (
                "étiquette existante, via la surveillance des fichiers",
                edit_existing_tag,
            ),
            (
                "nouvelle étiquette, via la surveillance des fichiers",
                edit_new_tag,
            ),
            (
                "date de publication, via la surveillance des fichiers",
                edit_date,
            ),
        ];
        for (name, edit) in watched {
            let mut times = Vec::new();
            let mut files = Vec::new();
            for i in 0..runs {
                std::thread::sleep(Duration::from_millis(20));
                let t = Instant::now();
                if name == ATOMIC {
                    let temp = article.with_file_name(".article.md.tmp");
                    std::fs::write(&temp, edit(&original, 1000 + i)).unwrap();
                    std::fs::rename(&temp, &article).unwrap();
                } else {
                    std::fs::write(&article, edit(&original, 1000 + i)).unwrap();
                }
                let batch = watcher.next_batch().expect("an event");
                waits.push(t.elapsed());
                for path in &batch.paths {
                    session.changed(path);
                }
                let report = session.rebuild().expect("the edited corpus builds");
                times.push(t.elapsed());
                files.push(report.files);
            }
            row(name, &mut times, &mut files);
        }
        waits.sort();
        println!(
            "\nDont attente de l'événement et regroupement ({} ms sans événement, {} ms quand les fichiers sont complets) : médiane {:.1} ms.",
            classmates::watch::QUIET.as_millis(),
            classmates::watch::SETTLED_QUIET.as_millis(),
            waits[waits.len() / 2].as_secs_f64() * 1000.0
        );
    }

    // A new article written next to the others, then deleted (`--only 8`, not in the default
    // run: each rebuild resolves the whole site again and remakes the search index).
    if only == Some(8) {
        std::fs::write(&article, &original).unwrap();
        session.changed(&article);
        session.rebuild().expect("the corpus builds");
        let added = article.with_file_name("zz-nouvel-article.md");
        let text = original.replacen("title: \"", "title: \"Nouveau : ", 1);
        let (mut adds, mut deletes) = (Vec::new(), Vec::new());
        let (mut files, mut gone) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            std::fs::write(&added, &text).unwrap();
            let (time, report) = timed_rebuild(&mut session, &added);
            adds.push(time);
            files.push(report.files);
            std::fs::remove_file(&added).unwrap();
            let t = Instant::now();
            session.changed(&added);
            let report = session.rebuild().expect("the corpus builds");
            deletes.push(t.elapsed());
            gone.push(report.files + report.deleted);
        }
        row(
            "article ajouté (site résolu à nouveau)",
            &mut adds,
            &mut files,
        );
        row(
            "article supprimé (site résolu à nouveau)",
            &mut deletes,
            &mut gone,
        );
    }

    // Structural edits as `serve` makes them (`--only 10`): the pages after the first of the
    // lists are left for later (`Session::defer_deep_pages`). From the file write: the
    // rebuild's return (every other file written: the page in view reloads), a page left
    // for later asked for right then (what a browser on it waits for), and every file written.
    if only == Some(10) {
        std::fs::write(&article, &original).unwrap();
        session.changed(&article);
        session.rebuild().expect("the corpus builds");
        println!();
        println!(
            "| Modification | Pages profondes remises à plus tard | Médiane, retour de la reconstruction | Médiane, une page remise demandée | Médiane, tout écrit | p90 tout écrit | Max tout écrit | Fichiers remis (médiane) |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        let added = article.with_file_name("zz-nouvel-article.md");
        let new_article = original.replacen("title: \"", "title: \"Nouveau : ", 1);
        let draft = original.replacen("\n---\n", "\ndraft: true\n---\n", 1);
        let part = articles
            .iter()
            .find(|a| std::fs::read_to_string(a).unwrap().contains("\npart: "))
            .expect("an article of a series")
            .clone();
        let part_text = std::fs::read_to_string(&part).unwrap();
        let moved = with_part(&part_text, 99);
        // Two edits each, the second undoing the first: (name, file, its new text, or None
        // when it is deleted).
        let scenarios: [[(&str, &Path, Option<&str>); 2]; 3] = [
            [
                ("article ajouté", &added, Some(&new_article)),
                ("article supprimé", &added, None),
            ],
            [
                ("article passé en brouillon", &article, Some(&draft)),
                ("brouillon publié", &article, Some(&original)),
            ],
            [
                ("partie de série déplacée (part: 99)", &part, Some(&moved)),
                ("partie de série remise en place", &part, Some(&part_text)),
            ],
        ];
        for (defer, steps) in [false, true]
            .into_iter()
            .flat_map(|defer| scenarios.iter().map(move |steps| (defer, steps)))
        {
            session.defer_deep_pages(defer);
            let mut rows: Vec<[Vec<Duration>; 3]> = vec![Default::default(); steps.len()];
            let mut deferred_counts: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
            let mut phases: Vec<Vec<Vec<(&str, Duration)>>> = vec![Vec::new(); steps.len()];
            for _ in 0..runs {
                for (k, (_, file, text)) in steps.iter().enumerate() {
                    let t = Instant::now();
                    match text {
                        Some(text) => std::fs::write(file, text).unwrap(),
                        None => std::fs::remove_file(file).unwrap(),
                    }
                    session.changed(file);
                    let report = session.rebuild().expect("the edited corpus builds");
                    let first = t.elapsed();
                    let deferred = session.deferred_paths();
                    let asked = deferred.get(deferred.len() / 2).cloned();
                    (session.render_deferred(asked.as_slice(), 1)).expect("deferred files written");
                    let deep = t.elapsed();
                    while !(session.render_deferred(&[], 64))
                        .expect("deferred files written")
                        .is_empty()
                    {}
                    let all = t.elapsed();
                    rows[k][0].push(first);
                    rows[k][1].push(deep);
                    rows[k][2].push(all);
                    deferred_counts[k].push(report.deferred);
                    phases[k].push(report.phases);
                }
            }
            for (k, (name, _, _)) in steps.iter().enumerate() {
                let [first, deep, all] = &mut rows[k];
                for times in [&mut *first, &mut *deep, &mut *all] {
                    times.sort();
                }
                let deferred = &mut deferred_counts[k];
                deferred.sort();
                let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
                let median = |times: &[Duration]| ms(times[times.len() / 2]);
                println!(
                    "| {name} | {} | {} | {} | {} | {} | {} | {} |",
                    if defer { "oui (`serve`)" } else { "non" },
                    median(first),
                    median(deep),
                    median(all),
                    ms(all[(all.len() * 9 / 10).min(all.len() - 1)]),
                    ms(all[all.len() - 1]),
                    deferred[deferred.len() / 2]
                );
                print_median_phases(name, &phases[k]);
            }
        }
        session.defer_deep_pages(false);
    }

    if verify {
        let fresh = work.join("fresh");
        classmates::build::build_site(&BuildOptions {
            output: fresh.clone(),
            ..options.clone()
        })
        .expect("full build");
        let (a, b) = (tree(&options.output), tree(&fresh));
        assert_eq!(a.len(), b.len(), "same files");
        for (path, bytes) in &a {
            assert!(b.get(path) == Some(bytes), "{path} differs");
        }
        println!(
            "\nVérifié : la sortie incrémentale est identique octet pour octet à une construction complète."
        );
    }
}

/// `text` (an article of a series) with its `part:` set to `part`.
fn with_part(text: &str, part: usize) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        match line.starts_with("part: ") {
            true => out.push_str(&format!("part: {part}\n")),
            false => out.push_str(line),
        }
    }
    out
}

/// Tells `session` that `path` changed and rebuilds: the time it took, and the report (whose
/// phases are printed with `PHASES=1`).
fn timed_rebuild(
    session: &mut Session,
    path: &Path,
) -> (Duration, classmates::incremental::Rebuild) {
    let t = Instant::now();
    session.changed(path);
    let report = session.rebuild().expect("the edited corpus builds");
    let time = t.elapsed();
    if std::env::var_os("PHASES").is_some() {
        for (phase, d) in &report.phases {
            eprintln!("    {phase} : {:.1} ms", d.as_secs_f64() * 1000.0);
        }
    }
    (time, report)
}

/// With `PHASES=1`, the median time of each phase of the rebuilds of one row, on stderr.
fn print_median_phases(name: &str, phases: &[Vec<(&str, Duration)>]) {
    if std::env::var_os("PHASES").is_none() || phases.is_empty() {
        return;
    }
    eprintln!("  {name}");
    for k in 0..phases[0].len() {
        let phase = phases[0][k].0;
        let mut d: Vec<Duration> = (phases.iter())
            .filter_map(|p| p.iter().find(|(n, _)| *n == phase).map(|(_, d)| *d))
            .collect();
        d.sort();
        eprintln!(
            "    {phase} : {:.1} ms",
            d[d.len() / 2].as_secs_f64() * 1000.0
        );
    }
}

fn row(name: &str, times: &mut [Duration], files: &mut [usize]) {
    times.sort();
    files.sort();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let p90 = times[(times.len() * 9 / 10).min(times.len() - 1)];
    println!(
        "| {name} | {} | {} | {} | {} | {} |",
        ms(times[times.len() / 2]),
        ms(p90),
        ms(times[0]),
        ms(times[times.len() - 1]),
        files[files.len() / 2]
    );
}

/// An edit of the article: its text and the run's number give its new text.
type Edit = fn(&str, usize) -> String;

/// Adds a paragraph at the end of the body.
fn edit_body(text: &str, i: usize) -> String {
    format!("{text}\nModification numéro {i} du corps de l'article.\n")
}

/// Changes the first word of the first paragraph after the front matter.
fn edit_first_paragraph(text: &str, i: usize) -> String {
    let body = text
        .match_indices("---\n")
        .nth(1)
        .map(|(at, _)| at + 4)
        .unwrap();
    let start = body + text[body..].find(|c: char| c.is_alphabetic()).unwrap();
    format!("{}Modifié{i} {}", &text[..start], &text[start..])
}

/// Changes the title in the front matter.
fn edit_title(text: &str, i: usize) -> String {
    text.replacen("title: \"", &format!("title: \"Titre {i} "), 1)
}

/// Adds a tag other articles have (`SQL`, in the corpus's pool), every other run: the article
/// joins and leaves its lists.
fn edit_existing_tag(text: &str, i: usize) -> String {
    if i % 2 == 0 {
        text.replacen("tags: [", "tags: [SQL, ", 1)
    } else {
        text.to_string()
    }
}

/// Adds a tag no other article has, every other run: the site's structure changes (a tag page
/// comes and goes).
fn edit_new_tag(text: &str, i: usize) -> String {
    if i % 2 == 0 {
        text.replacen("tags: [", "tags: [Mesure, ", 1)
    } else {
        text.to_string()
    }
}

/// Moves the publication date back by a day, every other run: the article changes places in
/// every list it is in.
fn edit_date(text: &str, i: usize) -> String {
    if i % 2 == 0 {
        let at = text.find("\ndate: ").expect("a date") + "\ndate: ".len();
        let day: u32 = text[at + 8..at + 10].parse().expect("a day");
        let day = if day > 1 { day - 1 } else { day + 1 };
        format!("{}{day:02}{}", &text[..at + 8], &text[at + 10..])
    } else {
        text.to_string()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let rel = entry
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(rel, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    files
}
