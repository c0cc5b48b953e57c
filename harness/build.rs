//! Embeds the vendored Kubernetes schemas (`schemas/kubernetes/v<version>.json`)
//! deflated, so the binary validates manifests wherever it is copied: nothing
//! of the checkout it was built in is read at run time.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/kubernetes");
    println!("cargo::rerun-if-changed={}", root.display());
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut versions: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(&root)
        .expect("schemas/kubernetes is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?;
            let version = name.strip_prefix('v')?.strip_suffix(".json")?.to_owned();
            Some((version, path))
        })
        .collect();
    // Numeric order: 1.9 before 1.10.
    versions.sort_by_key(|(v, _)| {
        v.split('.').map(|n| n.parse::<u32>().expect("a version is numbers")).collect::<Vec<_>>()
    });
    let mut table = String::from("&[\n");
    for (version, path) in &versions {
        println!("cargo::rerun-if-changed={}", path.display());
        let text = std::fs::read(path).expect("a schema file is readable");
        let packed = miniz_oxide::deflate::compress_to_vec(&text, 9);
        let dest = out.join(format!("kubernetes-v{version}.json.deflate"));
        std::fs::write(&dest, packed).expect("OUT_DIR is writable");
        table.push_str(&format!(
            "    ({version:?}, include_bytes!({:?}).as_slice(), {}),\n",
            dest.display().to_string(),
            text.len()
        ));
    }
    table.push(']');
    std::fs::write(out.join("kubernetes.rs"), table).expect("OUT_DIR is writable");
}
