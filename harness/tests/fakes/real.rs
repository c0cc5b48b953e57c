//! Real manifests written by public projects (`fixtures/manifests/real/`,
//! with their sources in `SOURCES.md`): gauntlet's schema verdict on every
//! object is held to kubernetes-validate's (recorded in `verdicts.json` by
//! `record.py`) at the oldest and newest supported version, strict and not.
//! Every difference is listed with its reason in `differences.yaml`; one not
//! listed, or listed and gone, fails. Real custom resources are held to the
//! real CRDs beside them.

use std::collections::BTreeMap;

use gauntlet::manifests::{self, Crds, Document, Level, Schemas};
use serde_json::Value;

use crate::common::repo;

/// gauntlet's verdict on one object, in the words `differences.yaml` uses.
fn verdict(findings: &[manifests::Finding]) -> &'static str {
    let errors: Vec<&str> =
        findings.iter().filter(|f| f.level == Level::Error).map(|f| f.rule.as_str()).collect();
    if errors.is_empty() {
        "valid"
    } else if errors.contains(&"api.removed") {
        "removed"
    } else if errors.contains(&"schema.no-crd") {
        "no-crd"
    } else if errors.contains(&"schema.unknown-kind") {
        "unknown-kind"
    } else {
        "invalid"
    }
}

fn agree(theirs: &str, ours: &str) -> bool {
    theirs == ours || (theirs == "no-schema" && matches!(ours, "no-crd" | "unknown-kind"))
}

/// Each real file's documents, by name.
fn real_files() -> BTreeMap<String, Vec<Document>> {
    let dir = repo("fixtures/manifests/real");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") && !path.ends_with("differences.yaml") {
            let loaded = manifests::read(std::slice::from_ref(&path)).unwrap();
            assert!(loaded.broken.is_empty(), "{}: {:?}", path.display(), loaded.broken);
            files
                .insert(path.file_name().unwrap().to_string_lossy().into_owned(), loaded.documents);
        }
    }
    files
}

#[test]
fn the_schema_verdict_on_each_real_file_agrees_with_kubernetes_validate_or_says_why_not() {
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(repo("fixtures/manifests/real/verdicts.json")).unwrap(),
    )
    .unwrap();
    let listed: Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo("fixtures/manifests/real/differences.yaml")).unwrap(),
    )
    .unwrap();
    let classes: Vec<(&str, &str)> = listed["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["kubernetes-validate"].as_str().unwrap(), c["gauntlet"].as_str().unwrap()))
        .collect();
    let files = real_files();
    let recorded_files = recorded["files"].as_object().unwrap();
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        recorded_files.keys().collect::<Vec<_>>(),
        "verdicts.json must cover exactly the real files: run record.py"
    );
    assert!(files.len() >= 30, "at least 30 real files");
    let mut unexplained = Vec::new();
    let mut seen_listed = Vec::new();
    let (mut objects, mut agreed, mut files_agreed, mut runs) = (0, 0, 0, 0);
    for version in ["1.25", "1.37"] {
        for strict in [false, true] {
            runs += 1;
            for (name, documents) in &files {
                let mut crds = Crds::default();
                crds.add(documents);
                let schemas = Schemas::new(version).unwrap().with_crds(crds);
                let key = format!("{version}.0 strict={strict}");
                let mut all_agree = true;
                let resources = recorded_files[name]["resources"].as_array().unwrap();
                assert_eq!(
                    resources.len(),
                    documents.len(),
                    "{name}: documents differ from PyYAML's"
                );
                for (doc, resource) in documents.iter().zip(resources) {
                    assert_eq!(
                        (doc.index as u64, doc.kind()),
                        (resource["index"].as_u64().unwrap(), resource["kind"].as_str().unwrap()),
                        "{name}: document numbering differs from PyYAML's"
                    );
                    let theirs = resource["results"][&key]["verdict"].as_str().unwrap();
                    let ours = verdict(&schemas.validate(doc, strict));
                    objects += 1;
                    if agree(theirs, ours) {
                        agreed += 1;
                        continue;
                    }
                    all_agree = false;
                    if classes.contains(&(theirs, ours)) {
                        continue;
                    }
                    let entry = listed["documents"].as_array().unwrap().iter().position(|d| {
                        d["file"] == name.as_str()
                            && d["document"].as_u64() == Some(doc.index as u64)
                            && d["versions"].as_array().unwrap().iter().any(|v| v == version)
                            && d["kubernetes-validate"] == theirs
                            && d["gauntlet"] == ours
                    });
                    match entry {
                        Some(i) => seen_listed.push(i),
                        None => unexplained.push(format!(
                            "{name}[{}] {} {} at {key}: kubernetes-validate {theirs}, gauntlet {ours}",
                            doc.index,
                            doc.api_version(),
                            doc.kind()
                        )),
                    }
                }
                files_agreed += usize::from(all_agree);
            }
        }
    }
    assert!(
        unexplained.is_empty(),
        "differences not in differences.yaml:\n{}",
        unexplained.join("\n")
    );
    for (i, entry) in listed["documents"].as_array().unwrap().iter().enumerate() {
        assert!(
            seen_listed.contains(&i),
            "differences.yaml lists a difference that no longer occurs: {entry:?}"
        );
    }
    eprintln!(
        "agreement with kubernetes-validate over {runs} runs (1.25 and 1.37, strict and not): \
         {agreed} of {objects} objects, {files_agreed} of {} files",
        files.len() * runs
    );
}

#[test]
fn real_custom_resources_are_valid_against_the_real_crds_beside_them() {
    let files = real_files();
    let all: Vec<Document> = files.values().flatten().cloned().collect();
    let mut crds = Crds::default();
    assert!(crds.add(&all) >= 10, "the real files hold CRDs");
    let schemas = Schemas::new(manifests::DEFAULT_VERSION).unwrap().with_crds(crds);
    let mut held = Vec::new();
    for doc in &all {
        if schemas.is_built_in(doc.api_version(), doc.kind())
            || manifests::group_of(doc.api_version()).is_empty()
        {
            continue;
        }
        let findings = schemas.validate(doc, true);
        if findings.iter().any(|f| f.rule == "schema.no-crd" || f.rule == "api.removed") {
            continue;
        }
        assert!(findings.is_empty(), "{} {}: {findings:#?}", doc.file.display(), doc.kind());
        held.push(format!("{} {}", doc.api_version(), doc.kind()));
    }
    held.sort();
    held.dedup();
    assert!(held.len() >= 4, "real custom resources held to their CRDs: {held:?}");
    eprintln!("custom resources held to real CRDs: {held:?}");
}

#[test]
fn the_real_files_include_a_large_one_crds_and_gpu_workloads() {
    let dir = repo("fixtures/manifests/real");
    let large = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.metadata().unwrap().len() > 1 << 20)
        .count();
    assert!(large >= 1, "a file over 1 MB");
    let files = real_files();
    let docs: Vec<&Document> = files.values().flatten().collect();
    assert!(docs.iter().any(|d| d.kind() == "CustomResourceDefinition"));
    assert!(docs.iter().any(|d| d.object.to_string().contains("nvidia.com/gpu")));
    let sources = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    for name in files.keys() {
        assert!(sources.contains(&format!("`{name}`")), "SOURCES.md does not name {name}");
    }
}
