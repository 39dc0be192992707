//! Dependencies point inward: `domain` and `assign` never touch the web, the database or
//! the service layer (DESIGN §9, STYLE.md).

fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn domain_and_assign_are_pure() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root.join("domain"), &mut files);
    sources(&root.join("assign"), &mut files);
    assert!(files.len() > 10);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for banned in [
            "rocket",
            "sqlx",
            "crate::store",
            "crate::service",
            "crate::web",
            "std::fs",
            "tokio",
        ] {
            assert!(
                !text.contains(banned),
                "{} mentions {banned}",
                file.display()
            );
        }
    }
}
