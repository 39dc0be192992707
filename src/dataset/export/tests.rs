//! The writer against the reader: what is written reads back the same.

use super::*;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sample")
}

#[test]
fn a_folder_with_anything_in_it_is_refused_unless_forced() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.txt"), "keep me").expect("write");

    let refused = Dataset::default().write(dir.path(), false);

    assert!(
        matches!(refused, Err(ExportError::NotEmpty(_))),
        "{refused:?}"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["notes.txt"], "nothing written beside it");

    let forced = Dataset::default().write(dir.path(), true).expect("forced");
    assert_eq!(forced.files.len(), 8);
    assert!(dir.path().join("experts.csv").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).expect("read"),
        "keep me"
    );
}

#[test]
fn a_missing_folder_is_created_and_empty_files_keep_their_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("a/b");

    let written = Dataset::default().write(&target, false).expect("write");

    assert!(written.files.iter().all(|(_, rows)| *rows == 0));
    let history = std::fs::read_to_string(target.join("history.csv")).expect("read");
    assert_eq!(history, "expert_id,event_id,event_kind,event_date,response,decline_reason,attendance,rating_expertise,rating_diligence,rating_fairness\n");
    let leftovers = std::fs::read_dir(&target)
        .expect("list")
        .filter(|e| {
            e.as_ref()
                .map(|e| e.file_name().to_string_lossy().starts_with('.'))
                .unwrap_or(true)
        })
        .count();
    assert_eq!(leftovers, 0, "no staging folder stays behind");
}

#[test]
fn the_sample_written_reads_back_the_same_and_its_files_are_unchanged() {
    let data = Dataset::load(&sample()).expect("sample");
    let dir = tempfile::tempdir().expect("temp dir");

    let written = data.write(dir.path(), false).expect("write");

    assert!(written.differences.is_empty(), "{:?}", written.differences);
    let again = Dataset::load(dir.path()).expect("reads back");
    assert_eq!(again.experts, data.experts);
    assert_eq!(again.projects, data.projects);
    assert_eq!(again.events.len(), data.events.len());
    // Not experts.csv: a profile keeps a repeated keyword once, and E01287's keywords_en
    // names "solvent extraction" twice (for 萃取 and 溶剂萃取). Not projects.csv: an item
    // keeps one title, so title_en is joined into title_zh.
    for file in [
        "organizations.csv",
        "disciplines.csv",
        "relations.csv",
        "memberships.csv",
        "history.csv",
    ] {
        let ours = std::fs::read(dir.path().join(file)).expect("ours");
        let theirs = std::fs::read(sample().join(file)).expect("sample");
        assert!(ours == theirs, "{file} differs from the sample's");
    }
}

#[test]
fn quoting_line_numbers_and_the_optional_columns_read_back_the_same() {
    let mut data = Dataset::load(&sample()).expect("sample");
    data.experts.truncate(3);
    data.memberships.clear();
    data.history.clear();
    data.projects.truncate(1);
    data.events.clear();
    data.experts[0].summary = "第一行, \"引号\"\n第二行".into();
    // The optional columns: years in the field, a distinction, avoidance reasons (one with a
    // colon of its own), prior roles, earlier items.
    data.experts[1].field_since = Some(data.experts[1].birth_year + 25);
    data.experts[1].distinction = crate::domain::expert::Distinction::parse("academician").ok();
    let item = &mut data.projects[0];
    item.requested_avoid = vec!["E00002".into(), "E00003".into()];
    item.avoid_reasons = [("E00003".to_string(), "竞争关系: 同一课题".to_string())].into();
    item.prior_roles = [("E00001".to_string(), "drafted the application".to_string())].into();
    item.earlier_items = vec!["P00007".into()];
    // Longer than title_zh may be: split at a space on the way out, joined on the way in.
    data.projects[0].title = format!(
        "{} {}",
        "铜".repeat(290),
        "copper smelting ".repeat(9).trim()
    );
    let dir = tempfile::tempdir().expect("temp dir");

    let written = data.write(dir.path(), false).expect("write");

    assert!(written.differences.is_empty(), "{:?}", written.differences);
    let again = Dataset::load(dir.path()).expect("reads back");
    assert_eq!(again.experts, data.experts);
    assert_eq!(again.projects, data.projects);
    let text = std::fs::read_to_string(dir.path().join("experts.csv")).expect("read");
    assert!(text.contains("\"第一行, \"\"引号\"\"\n第二行\""), "{text}");
    // The second expert starts on line 4: the first one's summary took two lines.
    let file = csv_file(
        "experts.csv",
        data.experts
            .iter()
            .map(|p| ExpertRow::from_input(p.to_input())),
    )
    .expect("encode");
    assert_eq!(file.lines, [2, 4, 5]);
}
