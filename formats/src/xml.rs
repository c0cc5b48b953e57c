//! Escaping text for XML: the one escape every XML report uses.

/// Escapes `text` for an XML attribute value or element content: the five
/// markup characters become entities, line breaks and tabs become character
/// references (so an attribute keeps them, where a parser would fold a raw
/// newline into a space), and other control characters, which XML 1.0 cannot
/// carry at all, are dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_becomes_entities_and_control_characters_go() {
        assert_eq!(
            escape("a <b> & \"c\" 'd'\nnext\tcol\u{1b}[0m"),
            "a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;&#10;next&#9;col[0m"
        );
        assert_eq!(escape("plain"), "plain");
    }
}
