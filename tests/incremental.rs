//! Incremental rebuilds (`serve`) give exactly what a full build gives: a session edits, adds,
//! renames and deletes content, templates, theme files and `site.yaml` through the rebuild
//! path, and after each step the whole output folder is compared byte for byte with a fresh
//! full build of the same state, at the same `now`.

mod common;

use std::path::{Path, PathBuf};

use classmates::build::{BuildError, BuildOptions, build_site};
use classmates::incremental::Session;
use common::{NOW, Site, tree};

/// A fixture site with an incremental session on it, and a counter of full builds.
struct Fixture {
    site: Site,
    session: Session,
    options: BuildOptions,
    fresh_builds: usize,
}

impl Fixture {
    fn new() -> Fixture {
        let site = Site::fixture("incremental");
        let options = BuildOptions {
            root: site.root().to_path_buf(),
            output: site.root().join(".classmates/site"),
            drafts: false,
            now: chrono::DateTime::parse_from_rfc3339(NOW)
                .unwrap()
                .with_timezone(&chrono::Utc),
            base_url: Some("http://127.0.0.1:1111".into()),
            registration_api: None,
        };
        let mut session = Session::new(options.clone());
        let first = session.rebuild().expect("the fixture builds");
        assert!(first.total_pages > 20, "{first:?}");
        let mut fixture = Fixture {
            site,
            session,
            options,
            fresh_builds: 0,
        };
        fixture.assert_same_as_full_build("first build");
        fixture
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.site.root().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Writes `rel` and tells the session.
    fn write(&mut self, rel: &str, text: &str) {
        self.site.write(rel, text);
        self.session.changed(&self.path(rel));
    }

    fn edit(&mut self, rel: &str, edit: impl FnOnce(String) -> String) {
        let text = edit(self.read(rel));
        self.write(rel, &text);
    }

    fn remove(&mut self, rel: &str) {
        std::fs::remove_file(self.path(rel)).unwrap();
        self.session.changed(&self.path(rel));
    }

    fn rename(&mut self, from: &str, to: &str) {
        std::fs::rename(self.path(from), self.path(to)).unwrap();
        self.session.changed(&self.path(from));
        self.session.changed(&self.path(to));
    }

    /// Rebuilds, and checks the output against a full build of the same state.
    #[track_caller]
    /// Moves the build's `now` (as `serve` does when the site changes by itself).
    fn set_now(&mut self, now: chrono::DateTime<chrono::Utc>) {
        self.session.set_now(now);
        self.options.now = now;
    }

    fn step(&mut self, what: &str) -> classmates::incremental::Rebuild {
        let report = self
            .session
            .rebuild()
            .unwrap_or_else(|e| panic!("{what}: the rebuild fails: {e:?}"));
        self.assert_same_as_full_build(what);
        report
    }

    #[track_caller]
    fn assert_same_as_full_build(&mut self, what: &str) {
        self.fresh_builds += 1;
        let fresh = self.site.root().join(format!("full-{}", self.fresh_builds));
        build_site(&BuildOptions {
            output: fresh.clone(),
            ..self.options.clone()
        })
        .unwrap_or_else(|e| panic!("{what}: the full build fails: {e:?}"));
        let (incremental, full) = (tree(&self.options.output), tree(&fresh));
        let only_incremental: Vec<&String> = incremental
            .keys()
            .filter(|k| !full.contains_key(*k))
            .collect();
        let only_full: Vec<&String> = full
            .keys()
            .filter(|k| !incremental.contains_key(*k))
            .collect();
        assert!(
            only_incremental.is_empty() && only_full.is_empty(),
            "{what}: files only in the incremental output {only_incremental:?}, only in the full build {only_full:?}"
        );
        for (path, bytes) in &full {
            assert!(
                incremental[path] == *bytes,
                "{what}: {path} differs from the full build:\n--- incremental\n{}\n--- full\n{}",
                String::from_utf8_lossy(&incremental[path]),
                String::from_utf8_lossy(bytes)
            );
        }
        std::fs::remove_dir_all(&fresh).unwrap();
    }

    /// The output folder, as a map of files.
    fn output(&self) -> std::collections::BTreeMap<String, Vec<u8>> {
        tree(&self.options.output)
    }

    fn page(&self, rel: &str) -> String {
        String::from_utf8(self.output()[rel].clone()).unwrap()
    }
}

#[test]
fn edits_of_articles_rebuild_exactly_what_a_full_build_gives() {
    let mut f = Fixture::new();
    let article = "content/articles/pytest-les-fixtures.md";

    // The body past its first paragraph: its page (and whatever shows its body) only.
    f.edit(article, |t| t + "\nUn paragraphe de plus à la fin.\n");
    let report = f.step("body edit");
    assert!(report.pages >= 1 && report.pages <= 2, "{report:?}");
    assert!(
        f.page("articles/pytest-les-fixtures/index.html")
            .contains("Un paragraphe de plus")
    );

    // Saved through a temporary file renamed over it, as some editors and `sed -i` do.
    let text = f.read(article) + "\nEncore un paragraphe.\n";
    f.site.write("content/articles/sed4Xk2p", &text);
    f.session.changed(&f.path("content/articles/sed4Xk2p"));
    f.rename("content/articles/sed4Xk2p", article);
    f.step("save through a temporary file");

    // Saving without a change writes nothing.
    f.edit(article, |t| t);
    let report = f.step("save without change");
    assert_eq!(
        (report.pages, report.files, report.deleted),
        (0, 0, 0),
        "{report:?}"
    );

    // The first paragraph: the summary changes, so do the cards that show it.
    f.edit(article, |t| {
        t.replace("Les fixtures préparent", "Les fixtures de pytest préparent")
    });
    let report = f.step("first paragraph edit");
    assert!(report.pages > 2, "lists show the new summary: {report:?}");

    // The title and a written summary: the site keeps its structure (the item is patched,
    // not the whole site resolved again), and only the pages showing the article change.
    f.edit(article, |t| {
        t.replace(
            "title: \"pytest, partie 2 : les fixtures\"",
            "title: \"pytest, partie 2 : les fixtures, enfin\"\nsummary: \"Préparer ses tests.\"\nupdated: 2026-10-20",
        )
    });
    let report = f.step("title, summary and update date edited");
    assert!(!report.resolved, "patched, not resolved again: {report:?}");
    assert!(
        report.pages > 2 && report.pages < report.total_pages / 2,
        "the pages showing the article, not all: {report:?}"
    );
    assert!(
        f.page("series/decouvrir-pytest/index.html")
            .contains("les fixtures, enfin")
    );
    // The series' own title and summary: its page, its parts' pages and the lists.
    f.edit("content/series/decouvrir-pytest.md", |t| {
        t.replace(
            "title: \"Découvrir pytest\"",
            "title: \"Découvrir pytest pas à pas\"",
        )
        .replace("Deux articles pour", "Deux articles courts pour")
    });
    assert!(!f.step("series title edited").resolved);
    assert!(
        f.page("articles/pytest-les-bases/index.html")
            .contains("Découvrir pytest pas à pas")
    );

    // Its tags: a new tag page appears, another loses an item.
    f.edit(article, |t| {
        t.replace("tags: [pytest]", "tags: [pytest, Qualité]")
    });
    assert!(
        !f.step("tag added").resolved,
        "a new tag is patched in, and its pages appear"
    );
    assert!(f.output().contains_key("tags/qualite/index.html"));
    f.edit(article, |t| {
        t.replace("tags: [pytest, Qualité]", "tags: [pytest]")
    });
    assert!(
        !f.step("tag removed").resolved,
        "a tag left by its only item is patched out"
    );
    assert!(!f.output().contains_key("tags/qualite/index.html"));

    // Tags and categories that exist already: the item is patched in, with the lists of the
    // terms it joins or leaves (their pages, feeds, counts and the search filters).
    f.edit(article, |t| {
        t.replace("tags: [pytest]", "tags: [pytest, Écriture]")
            .replace("categories: [python]", "categories: [python, communaute]")
    });
    let report = f.step("existing tag and category added");
    assert!(!report.resolved, "patched, not resolved again: {report:?}");
    assert!(
        f.page("tags/ecriture/index.html")
            .contains("les fixtures, enfin")
    );
    f.edit(article, |t| {
        t.replace("tags: [pytest, Écriture]", "tags: [pytest]")
            .replace("categories: [python, communaute]", "categories: [python]")
    });
    assert!(!f.step("existing tag and category left").resolved);
    assert!(
        !f.page("tags/ecriture/index.html")
            .contains("les fixtures, enfin")
    );

    // A tag's name is its most common spelling: when most items spell it anew, the cards of
    // the others show the new name too.
    for file in [
        article,
        "content/articles/pytest-les-bases.md",
        "content/series/decouvrir-pytest.md",
    ] {
        f.edit(file, |t| t.replacen("tags: [pytest", "tags: [PyTest", 1));
    }
    assert!(
        !f.step("tag spelled anew by most items").resolved,
        "a tag renamed by a patch"
    );
    assert!(
        f.page("evenements/webinaire-pytest/index.html")
            .contains(">#PyTest<"),
        "the unchanged event shows the new name"
    );

    // Its date: lists and feeds reorder, the series takes its latest part's date (a numbered
    // part keeps its place in the series: patched in, with its series).
    let new_date = "datetime=\"2026-10-25T09:00";
    assert!(!f.page("series/index.html").contains(new_date));
    f.edit(article, |t| {
        t.replace("date: 2026-10-01", "date: 2026-10-25 09:00")
    });
    assert!(!f.step("date of a part changed").resolved);
    assert!(
        f.page("series/index.html").contains(new_date),
        "the series takes the new date"
    );

    // The date of an article outside a series, or of a resource: the item moves in every list
    // it is in (patched in, the files planned again), with its tags in the same edit.
    let django = "content/articles/django-premiers-pas.md";
    f.edit(django, |t| {
        t.replace("date: 2026-09-15 18:30", "date: 2026-10-28 08:00")
    });
    assert!(!f.step("article moved to the top").resolved);
    assert!(
        f.page("articles/index.html")
            .find("Premiers pas avec Django")
            < f.page("articles/index.html").find("les fixtures, enfin"),
        "newest first"
    );
    let resource = "content/resources/tutoriel-django-rest.md";
    f.edit(resource, |t| {
        t.replace("date: 2026-08-30", "date: 2025-01-05")
            .replace("tags: [django, Écriture]", "tags: [django, Archives]")
    });
    assert!(!f.step("resource moved back, with a new tag").resolved);
    assert!(f.output().contains_key("tags/archives/index.html"));
    f.edit(resource, |t| {
        t.replace("date: 2025-01-05", "date: 2026-08-30")
            .replace("tags: [django, Archives]", "tags: [django, Écriture]")
    });
    assert!(!f.step("resource back in place").resolved);
    f.edit(django, |t| {
        t.replace("date: 2026-10-28 08:00", "date: 2026-09-15 18:30")
    });
    assert!(!f.step("article back in place").resolved);

    // A series part: the order of the series changes.
    f.edit("content/articles/pytest-les-bases.md", |t| {
        t.replace("part: 1", "part: 3")
    });
    f.step("series part renumbered");

    // An alias changes: the old redirect goes, the new one comes.
    f.edit(article, |t| {
        t.replace("/2026/10/fixtures-pytest.html", "/anciens/fixtures/")
    });
    f.step("alias changed");
    assert!(f.output().contains_key("anciens/fixtures/index.html"));
    assert!(!f.output().contains_key("2026/10/fixtures-pytest.html"));

    // A draft: the article leaves the site, its links from elsewhere warn.
    f.edit("content/articles/django-premiers-pas.md", |t| {
        t.replace(
            "categories: [web, python]",
            "categories: [web, python]\ndraft: true",
        )
    });
    let report = f.step("article made a draft");
    assert!(
        !f.output()
            .contains_key("articles/django-premiers-pas/index.html")
    );
    // The unchanged article linking to it is checked again: its link now warns.
    let warns = |report: &classmates::incremental::Rebuild| {
        format!("{:?}", report.warnings).contains("lien vers un contenu non publié")
    };
    assert!(warns(&report), "{:?}", report.warnings);
    f.edit("content/articles/django-premiers-pas.md", |t| {
        t.replace("\ndraft: true", "")
    });
    let report = f.step("draft published again");
    assert!(!warns(&report), "{:?}", report.warnings);
}

/// Patches that change the site's files (the plan is made again from the last one, each file
/// keeping its fingerprint unless it shows what changed) or move items in their lists, and
/// the edits a patch cannot take.
#[test]
fn patches_renumbering_tags_or_moving_items_rebuild_exactly_what_a_full_build_gives() {
    let mut f = Fixture::new();
    // A tag with a full page of items.
    for n in 1..=classmates::render::LIST_PER_PAGE {
        f.write(
            &format!("content/articles/note-{n:02}.md"),
            &format!(
                "---\ntitle: \"Note {n}\"\ndate: 2026-07-{n:02}\nauthors: [ines]\n\
                 tags: [Notes]\ncategories: [python]\n---\nLa note numéro {n}.\n"
            ),
        );
    }
    f.step("a tag with a full page");
    assert!(!f.output().contains_key("tags/notes/page/2/index.html"));

    // One more item: the tag gains a page.
    let article = "content/articles/pytest-les-fixtures.md";
    f.edit(article, |t| {
        t.replace("tags: [pytest]", "tags: [pytest, Notes]")
    });
    assert!(!f.step("the tag gains a page").resolved, "patched in");
    assert!(f.output().contains_key("tags/notes/page/2/index.html"));
    f.edit(article, |t| {
        t.replace("tags: [pytest, Notes]", "tags: [pytest]")
    });
    assert!(!f.step("the tag loses its page").resolved);
    assert!(!f.output().contains_key("tags/notes/page/2/index.html"));

    // In one batch (files are read in order), an article joins a tag, then another takes a tag
    // that sorts before every other (every tag is numbered anew, the one joined included) and
    // joins an existing tag in the same edit.
    let django = "content/articles/django-premiers-pas.md";
    f.edit(django, |t| {
        t.replace("  - Django REST", "  - Django REST\n  - Notes")
    });
    f.edit(article, |t| {
        t.replace("tags: [pytest]", "tags: [pytest, Actualités, Écriture]")
    });
    assert!(!f.step("a tag joined, another appears before it").resolved);
    assert!(f.output().contains_key("tags/actualites/index.html"));
    assert!(
        f.page("tags/notes/index.html")
            .contains("Premiers pas avec Django")
    );
    assert!(f.output().contains_key("tags/notes/page/2/index.html"));
    assert!(f.page("tags/ecriture/index.html").contains("les fixtures"));
    f.edit(django, |t| t.replace("\n  - Notes", ""));
    f.edit(article, |t| {
        t.replace("tags: [pytest, Actualités, Écriture]", "tags: [pytest]")
    });
    assert!(!f.step("both undone").resolved);

    // The oldest article moves to the top of its lists: the pages it was not on change too
    // (those of its tag and category, which have two now).
    let last = classmates::render::LIST_PER_PAGE + 1;
    f.write(
        &format!("content/articles/note-{last}.md"),
        &format!(
            "---\ntitle: \"Note {last}\"\ndate: 2026-07-{last}\nauthors: [ines]\n\
             tags: [Notes]\ncategories: [python]\n---\nLa dernière note.\n"
        ),
    );
    f.step("one more note");
    assert!(f.page("tags/notes/page/2/index.html").contains("Note 1<"));
    let note = "content/articles/note-01.md";
    f.edit(note, |t| t.replace("date: 2026-07-01", "date: 2026-10-30"));
    assert!(!f.step("moved to the top").resolved);
    assert!(f.page("articles/index.html").contains("Note 1<"));
    assert!(f.page("tags/notes/index.html").contains("Note 1<"));
    // Back, with a new tag: the files of the site are planned again too.
    f.edit(note, |t| {
        t.replace("date: 2026-10-30", "date: 2026-07-01")
            .replace("tags: [Notes]", "tags: [Notes, Brèves]")
    });
    assert!(!f.step("moved back with a new tag").resolved);
    assert!(!f.page("articles/index.html").contains("Note 1<"));
    f.edit(note, |t| {
        t.replace("tags: [Notes, Brèves]", "tags: [Notes]")
    });
    assert!(!f.step("the new tag left").resolved);

    // Parts of a series without a number follow the numbered ones by date: a new date
    // reorders the series, which is resolved again.
    for note in ["content/articles/note-02.md", "content/articles/note-03.md"] {
        f.edit(note, |t| {
            t.replace("tags: [Notes]", "tags: [Notes]\nseries: decouvrir-pytest")
        });
    }
    f.step("two parts without a number");
    let series = |f: &Fixture| f.page("series/decouvrir-pytest/index.html");
    assert!(series(&f).find("Note 2<") < series(&f).find("Note 3<"));
    f.edit("content/articles/note-02.md", |t| {
        t.replace("date: 2026-07-02", "date: 2026-07-04")
    });
    assert!(f.step("the first of them dated after the second").resolved);
    assert!(series(&f).find("Note 3<") < series(&f).find("Note 2<"));
    assert!(!f.output().contains_key("tags/actualites/index.html"));
}

#[test]
fn added_renamed_and_deleted_files_rebuild_exactly_what_a_full_build_gives() {
    let mut f = Fixture::new();

    // A new article, linking to an anchor of another one.
    f.write(
        "content/articles/nouvel-article.md",
        "---\ntitle: \"Un nouvel article\"\ndate: 2026-10-28\nauthors: [ines]\ntags: [pytest, Nouveauté]\ncategories: [python]\n---\nTout neuf.\n\n## Détails\n\nVoir [les bases](pytest-les-bases.md) et [la portée](pytest-les-fixtures.md#portee).\n",
    );
    f.step("article added");
    assert!(
        f.output()
            .contains_key("articles/nouvel-article/index.html")
    );

    // Enough articles for a second page of the list.
    for i in 0..10 {
        f.write(
            &format!("content/articles/serie-{i:02}.md"),
            &format!(
                "---\ntitle: \"Article {i}\"\ndate: 2026-08-{:02}\nauthors: [marc]\ntags: [Lot]\ncategories: [python]\n---\nNuméro {i}.\n",
                i + 1
            ),
        );
    }
    f.step("ten articles added");
    assert!(f.output().contains_key("articles/page/2/index.html"));
    // The search index has more files (one file of cards per 8 items).
    assert!(f.output().contains_key("recherche/fiches/2.json"));

    // The oldest of them becomes the newest article: every card of the list moves one place,
    // onto pages that did not show the moved article (page 1 gains it, page 2 gains the card
    // that page 1 loses).
    let page_2 = f.page("articles/page/2/index.html");
    f.edit("content/articles/serie-00.md", |t| {
        t.replace("date: 2026-08-01", "date: 2026-10-30")
    });
    assert!(!f.step("oldest article moved to the top").resolved);
    assert!(f.page("articles/index.html").contains("Article 0"));
    assert_ne!(f.page("articles/page/2/index.html"), page_2);

    // An article names an author who has no file yet: the build fails, then passes once the
    // file exists (the unchanged article is checked against the authors again), and fails
    // again when it goes.
    f.write(
        "content/articles/invite.md",
        "---\ntitle: \"Un invité\"\ndate: 2026-10-29\nauthors: [zoe]\ntags: [pytest]\ncategories: [python]\n---\nBonjour.\n",
    );
    assert!(f.session.rebuild().is_err(), "zoe is unknown");
    f.write(
        "content/authors/zoe.md",
        "---\nname: Zoé Martin\n---\nInvitée.\n",
    );
    f.step("author of an article added");
    assert!(f.page("articles/invite/index.html").contains("Zoé Martin"));
    f.remove("content/authors/zoe.md");
    assert!(f.session.rebuild().is_err(), "zoe is gone");
    f.remove("content/articles/invite.md");
    f.step("article and its author gone");

    // A rename: the old page goes, links to the old path are fixed in the same save.
    f.rename(
        "content/articles/nouvel-article.md",
        "content/articles/article-renomme.md",
    );
    f.step("article renamed");
    assert!(
        f.output()
            .contains_key("articles/article-renomme/index.html")
    );
    assert!(
        !f.output()
            .contains_key("articles/nouvel-article/index.html")
    );

    // A file becomes a bundle with an image, then the image changes.
    let png = std::fs::read(f.path("content/articles/deployer-django/architecture.png")).unwrap();
    f.remove("content/articles/article-renomme.md");
    std::fs::create_dir_all(f.path("content/articles/article-renomme")).unwrap();
    std::fs::write(f.path("content/articles/article-renomme/schema.png"), &png).unwrap();
    f.write(
        "content/articles/article-renomme/index.md",
        "---\ntitle: \"Un article en dossier\"\ndate: 2026-10-28\nauthors: [ines]\ntags: [pytest]\ncategories: [python]\n---\nAvec une image.\n\n![Schéma](schema.png)\n",
    );
    f.session
        .changed(&f.path("content/articles/article-renomme/schema.png"));
    f.step("file turned into a bundle");
    assert!(
        f.output()
            .contains_key("articles/article-renomme/schema.png")
    );
    let mut bigger = png.clone();
    bigger.extend_from_slice(b"\0\0\0\0");
    std::fs::write(
        f.path("content/articles/article-renomme/schema.png"),
        &bigger,
    )
    .unwrap();
    f.session
        .changed(&f.path("content/articles/article-renomme/schema.png"));
    f.step("bundle image changed");
    std::fs::write(
        f.path("content/articles/article-renomme/plan.pdf"),
        b"%PDF-1.4",
    )
    .unwrap();
    f.session
        .changed(&f.path("content/articles/article-renomme/plan.pdf"));
    f.step("file added to a bundle");
    assert!(f.output().contains_key("articles/article-renomme/plan.pdf"));

    // Deletions: an article, then several at once; their folders go too.
    f.remove("content/articles/serie-09.md");
    f.step("article deleted");
    std::fs::remove_dir_all(f.path("content/articles/article-renomme")).unwrap();
    f.session
        .changed(&f.path("content/articles/article-renomme"));
    for i in 0..9 {
        f.remove(&format!("content/articles/serie-{i:02}.md"));
    }
    let report = f.step("bundle and articles deleted");
    assert!(report.deleted > 10, "{report:?}");
    assert!(!f.output().contains_key("articles/page/2/index.html"));
    assert!(!f.path(".classmates/site/articles/article-renomme").exists());
    assert!(
        !f.output().contains_key("recherche/fiches/2.json"),
        "files of the search index no longer made are deleted"
    );

    // A new page, and a new resource.
    f.write(
        "content/pages/contact.md",
        "---\ntitle: \"Contact\"\n---\nÉcrivez-nous sur Discord.\n",
    );
    f.write(
        "content/resources/doc-pytest.md",
        "---\ntitle: \"La documentation de pytest\"\nurl: https://docs.pytest.org/\nkind: documentation\ndate: 2026-10-05\nauthors: [marc]\ntags: [pytest]\ncategories: [python]\n---\nLa référence.\n",
    );
    f.step("page and resource added");
}

/// A file added or deleted next to the others is listed alone (`content/` is not listed
/// again); whatever else the listing would report sends it back to a whole listing.
#[test]
fn files_listed_alone_rebuild_exactly_what_a_full_build_gives() {
    let mut f = Fixture::new();
    let article = "---\ntitle: \"Éphémère\"\ndate: 2026-10-28\nauthors: [ines]\ntags: [pytest]\ncategories: [python]\n---\nBientôt parti.\n";

    // An editor's hidden file, and a file that came and went before the rebuild.
    f.write("content/articles/.ephemere.md.swp", "swap");
    f.write("content/articles/ephemere.md", article);
    f.remove("content/articles/ephemere.md");
    let report = f.step("hidden file, and a file that came and went");
    assert_eq!(report.files, 0, "{report:?}");

    // A file that is not Markdown: the whole listing reports it, and the site builds.
    f.write("content/articles/notes.txt", "à trier");
    f.step("stray file");

    // A new file claiming the slug of a bundle: both are in error until it goes.
    f.write("content/articles/deployer-django.md", article);
    let error = format!(
        "{:?}",
        f.session.rebuild().expect_err("one slug, two files")
    );
    assert!(error.contains("même slug « deployer-django »"), "{error}");
    f.remove("content/articles/deployer-django.md");
    f.step("second file of a slug gone");

    // Added, then deleted, then added again, a rebuild after each.
    f.write("content/articles/ephemere.md", article);
    f.step("article listed alone");
    assert!(f.page("articles/index.html").contains("Éphémère"));
    f.remove("content/articles/ephemere.md");
    f.step("article unlisted alone");
    assert!(!f.output().contains_key("articles/ephemere/index.html"));
    f.write("content/articles/ephemere.md", article);
    f.step("article listed alone again");
}

#[test]
fn events_authors_templates_theme_and_settings_rebuild_exactly_what_a_full_build_gives() {
    let mut f = Fixture::new();

    // An event moves to the past: it leaves the upcoming list, its calendar and the manifest
    // change; with a recording, it becomes a replay among the resources.
    f.edit("content/events/webinaire-pytest.md", |t| {
        t.replace("start: 2026-12-03 19:00", "start: 2026-10-03 19:00")
            .replace("end: 2026-12-03 20:30", "end: 2026-10-03 20:30")
            .replace(
                "capacity: 25",
                "capacity: 25\nrecording: https://videos.example.org/webinaire-pytest",
            )
    });
    f.step("event moved to the past");
    f.edit("content/events/webinaire-pytest.md", |t| {
        t.replace("capacity: 25", "capacity: 40")
    });
    f.step("event capacity changed");

    // An author's name: every card, feed entry and manifest entry naming them.
    f.edit("content/authors/ines.md", |t| {
        t.replace("name: Inès Benali", "name: Inès Benali-Martin")
    });
    assert!(!f.step("author renamed").resolved);
    f.edit("content/events/webinaire-pytest.md", |t| {
        t.replace(
            "location: \"En ligne\"",
            "location: \"Discord, salon webinaires\"",
        )
    });
    assert!(!f.step("event location changed").resolved);
    f.edit("content/events/webinaire-pytest.md", |t| {
        t.replace("end: 2026-10-03 20:30", "end: 2026-10-03 21:00")
    });
    assert!(
        f.step("event end moved").resolved,
        "calendars reorder: resolved again"
    );
    f.edit("content/authors/marc.md", |t| t + "\nIl aime aussi Rust.\n");
    f.step("author's body edited");
    f.edit("content/authors/marc.md", |t| {
        t.replace("Marc a découvert Python", "Marc a découvert Python et Rust")
    });
    f.step("author's summary edited through the body");

    // Bodies alone, summaries included: an event (calendars, manifest), a page (the footer
    // of every page), a series.
    f.edit("content/events/webinaire-pytest.md", |t| {
        t.replace("Une heure et demie", "Deux heures")
    });
    f.step("event's first paragraph edited");
    f.edit("content/pages/a-propos.md", |t| {
        t.replace("basé à Lyon", "basé à Lyon 7e")
    });
    f.step("page's body edited");
    f.edit("content/series/decouvrir-pytest.md", |t| {
        t + "\nBonne lecture.\n"
    });
    f.step("series' body edited");

    // A partial of the theme: every page using it.
    f.edit("themes/default/templates/partials/card.html", |t| {
        format!("{t}<!-- carte -->\n")
    });
    let report = f.step("theme partial edited");
    assert!(report.pages > 10, "{report:?}");
    // An override in `templates/`, then its removal.
    let article = f.read("themes/default/templates/article.html");
    f.write(
        "templates/article.html",
        &article.replacen(
            "{% block content %}",
            "{% block content %}<!-- surcharge du site -->",
            1,
        ),
    );
    let report = f.step("template override added");
    assert!(
        f.page("articles/pytest-les-bases/index.html")
            .contains("surcharge du site"),
        "{report:?}"
    );
    let pages = f.output().keys().filter(|p| p.ends_with(".html")).count();
    assert!(report.pages < pages / 2, "only articles: {report:?}");
    f.remove("templates/article.html");
    f.step("template override removed");

    // A static file of the theme.
    f.edit("themes/default/static/registration.js", |t| {
        t + "\n// modifié\n"
    });
    let report = f.step("theme script edited");
    assert_eq!(report.files, 1, "{report:?}");

    // `site.yaml`: everything.
    f.edit("site.yaml", |t| {
        t.replace(
            "title: Les Pythonistes du Rhône",
            "title: Les Pythonistes de Lyon",
        )
    });
    let report = f.step("site.yaml edited");
    assert_eq!(report.pages, report.total_pages, "{report:?}");

    // Everything at once, as after lost events.
    f.edit("content/pages/a-propos.md", |t| {
        t + "\nEt à Villeurbanne.\n"
    });
    f.session.changed_everything();
    f.step("everything rescanned");
}

#[test]
fn time_moving_on_rebuilds_exactly_what_a_full_build_gives() {
    let mut f = Fixture::new();
    let utc = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    // The webinar closes its registrations when it starts, then ends; the article scheduled
    // for 15 December 08:00 (Paris) is published then. Each is the next change in turn.
    let changes = [
        "2026-12-03T19:00:00+01:00",
        "2026-12-03T20:30:00+01:00",
        "2026-12-15T08:00:00+01:00",
    ];
    for (i, change) in changes.iter().enumerate() {
        assert_eq!(f.session.next_change(), Some(utc(change)), "change {i}");
        f.set_now(utc(change));
        f.step(change);
    }
    assert!(
        f.output()
            .contains_key("articles/nouveautes-python-3-15/index.html")
    );
    assert!(
        f.page("evenements/webinaire-pytest/index.html")
            .contains("Cet événement est terminé")
    );
    assert_eq!(f.session.next_change(), None, "nothing left to happen");
}

#[test]
fn a_broken_file_keeps_the_last_good_output_until_it_is_fixed() {
    let mut f = Fixture::new();
    let before = f.output();
    let article = "content/articles/pytest-les-bases.md";
    let good = f.read(article);

    // A bad date: the rebuild fails with located diagnostics, the output stays as it was.
    f.write(
        article,
        &good.replace("date: 2026-10-10", "date: 10/10/2026"),
    );
    match f.session.rebuild() {
        Err(BuildError::Invalid(diagnostics)) => {
            assert!(diagnostics.has_errors());
            assert!(
                diagnostics
                    .iter()
                    .any(|d| d.path == Path::new(article) && d.line == 3),
                "{diagnostics:?}"
            );
        }
        other => panic!("expected content errors, got {other:?}"),
    }
    assert!(f.output() == before, "a failed rebuild writes nothing");

    // A broken link in another file, while the first one is still broken: both reported.
    f.edit("content/articles/pytest-les-fixtures.md", |t| {
        t.replace("pytest-les-bases.md", "pytest-les-bases-introuvable.md")
    });
    let Err(BuildError::Invalid(diagnostics)) = f.session.rebuild() else {
        panic!("expected content errors");
    };
    assert_eq!(diagnostics.error_count(), 2, "{diagnostics:?}");

    // A broken template.
    f.write(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}{{ oops(",
    );
    assert!(f.session.rebuild().is_err());

    // Fixed, one after the other: the output comes back, as a full build gives it.
    f.write(article, &good);
    f.edit("content/articles/pytest-les-fixtures.md", |t| {
        t.replace("pytest-les-bases-introuvable.md", "pytest-les-bases.md")
    });
    assert!(f.session.rebuild().is_err(), "the template is still broken");
    f.remove("templates/page.html");
    f.step("everything fixed");
    assert!(f.output() == before, "back to the first state");
}

#[test]
fn a_full_build_writes_no_trace_of_serve() {
    let site = Site::fixture("incremental");
    let build = site.build().ok();
    for (path, bytes) in tree(&build.out) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("__classmates") && !text.contains("classmates-errors"),
            "{path} carries serve's script"
        );
    }
}
