//! The HTML report in a real browser: `gauntlet run --html` against the
//! reference service (process target, held to a recorded baseline), opened by
//! headless Chromium, which must log no console error and whose rendered DOM
//! must hold every plot's elements and the filter script's work. A page with a
//! script error is caught the same way, so the check can fail. The screenshot
//! lands in `target/html-report/report.png` for a person to look at.
//!
//! Chromium is found on PATH (`chromium`, `chromium-browser`, `google-chrome`)
//! or named by `GAUNTLET_CHROMIUM`; without one every trial is ignored with
//! that reason, never passed. With `GAUNTLET_REQUIRE_CHROMIUM=1` (the CI
//! workflow, which installs it) a missing browser fails.

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use common::{gauntlet, repo, repo_arg};
use libtest_mimic::{Arguments, Failed, Trial};

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GAUNTLET_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
}

/// What Chromium made of `page`: the DOM after its scripts ran, and every
/// console message.
fn render(
    browser: &Path,
    page: &Path,
    screenshot: Option<&Path>,
) -> Result<(String, Vec<String>), Failed> {
    let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut command = Command::new(browser);
    command.args([
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,2600",
        "--virtual-time-budget=2000",
    ]);
    command.arg(format!("--user-data-dir={}", profile.path().display()));
    match screenshot {
        Some(png) => command.arg(format!("--screenshot={}", png.display())),
        None => command.arg("--dump-dom"),
    };
    let out =
        command.arg(format!("file://{}", page.display())).output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("chromium exited {:?}: {stderr}", out.status.code()).into());
    }
    // Console messages: `[...:INFO:CONSOLE:1] "Uncaught ReferenceError: ...", source: file:///... (1)`
    // (older builds write `CONSOLE(1)`). The report logs nothing, so any message is a finding.
    let errors = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .map(str::to_owned)
        .collect();
    Ok((String::from_utf8_lossy(&out.stdout).into_owned(), errors))
}

fn the_report_renders_with_no_console_error_and_every_plot(browser: &Path) -> Result<(), Failed> {
    let dir = repo("target/html-report");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let page = dir.join("report.html");
    let profile = dir.join("profile.yaml");
    std::fs::write(
        &profile,
        "name: html\ninclude: [probe.ready.time-to-ready, probe.ready.sigterm, load.burst, api.info.schema]\n",
    )
    .map_err(|e| e.to_string())?;
    let (code, text) = gauntlet(&[
        "run",
        "--target",
        "process",
        "--profile",
        &profile.display().to_string(),
        "--baseline",
        &repo_arg("fixtures/reports/reference-1.json"),
        "--allow-missing",
        "--html",
        &page.display().to_string(),
    ]);
    // The run's own verdict may be anything: a noisy machine may regress a
    // figure. What is under test is that the page was written and renders.
    if !matches!(code, Some(0 | 1)) || !page.is_file() {
        return Err(format!("gauntlet run exited {code:?}: {text}").into());
    }
    let (dom, errors) = render(browser, &page, None)?;
    if !errors.is_empty() {
        return Err(format!("console errors:\n{}", errors.join("\n")).into());
    }
    for needle in [
        "<figure id=\"plot-readiness\"><figcaption>Readiness from process start</figcaption>\n<svg",
        "<figure id=\"plot-drain\"><figcaption>Readiness after SIGTERM</figcaption>\n<svg",
        "<figure id=\"plot-latency\">",
        "<figure id=\"plot-throughput\">",
        "<figure id=\"plot-baseline\">",
        "<polyline class=\"series status\"",
        "<rect class=\"bar\"",
        ">SIGTERM</text>",
        ">ready</text>",
        "<rect class=\"old\"",
        // The filter script ran.
        " of 4 checks shown</span>",
    ] {
        if !dom.contains(needle) {
            return Err(
                format!("{needle:?} is not in the rendered page ({})", page.display()).into()
            );
        }
    }
    let png = dir.join("report.png");
    render(browser, &page, Some(&png))?;
    let size = std::fs::metadata(&png).map_err(|e| format!("no screenshot: {e}"))?.len();
    if size < 10_000 {
        return Err(format!("the screenshot is {size} bytes: blank?").into());
    }
    eprintln!("browser: look at {} ({size} bytes)", png.display());
    Ok(())
}

fn a_script_error_is_caught(browser: &Path) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><p>x</p><script>no_such_function();</script></body></html>",
    )
    .map_err(|e| e.to_string())?;
    let (_, errors) = render(browser, &page, None)?;
    if errors.iter().any(|e| e.contains("no_such_function")) {
        Ok(())
    } else {
        Err(format!("the script error went unseen: {errors:?}").into())
    }
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let browser = chromium();
    if browser.is_none() && std::env::var_os("GAUNTLET_REQUIRE_CHROMIUM").is_some() && !args.list {
        eprintln!(
            "browser: GAUNTLET_REQUIRE_CHROMIUM is set and no chromium is on PATH \
             (apt-get install chromium, or set GAUNTLET_CHROMIUM)"
        );
        return ExitCode::FAILURE;
    }
    let trial = |name: &'static str, f: fn(&Path) -> Result<(), Failed>| {
        let browser = browser.clone();
        let ignored = browser.is_none();
        Trial::test(name, move || match browser {
            Some(b) => f(&b),
            None => Err("no chromium".into()),
        })
        .with_ignored_flag(ignored)
    };
    if browser.is_none() {
        eprintln!(
            "browser: not applicable: no chromium on PATH (apt-get install chromium, or set GAUNTLET_CHROMIUM)"
        );
    }
    let trials = vec![
        trial("a_script_error_is_caught", a_script_error_is_caught),
        trial(
            "the_report_renders_with_no_console_error_and_every_plot",
            the_report_renders_with_no_console_error_and_every_plot,
        ),
    ];
    libtest_mimic::run(&args, trials).exit_code()
}
