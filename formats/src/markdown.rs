//! Markdown tables: making text safe inside one cell.

/// `text` made safe inside a Markdown table cell: its first line only, with
/// `|` escaped so it cannot end the cell.
pub fn cell(text: &str) -> String {
    text.lines().next().unwrap_or_default().replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_cell_keeps_its_first_line_and_escapes_bars() {
        assert_eq!(cell("slow | very\nsecond line"), "slow \\| very");
        assert_eq!(cell(""), "");
    }
}
