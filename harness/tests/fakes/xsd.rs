//! A validator for the XML Schema subset that `schemas/junit/junit-10.xsd`
//! (the schema Jenkins and Surefire read JUnit by) is written in: global and
//! local `xs:element`s, `xs:complexType`s (named or inline, `mixed` or not)
//! holding an `xs:sequence` or `xs:choice` of particles with `minOccurs` and
//! `maxOccurs`, `xs:attribute`s with `use="required"`, `xs:string` and named
//! `xs:simpleType`s restricted by `xs:pattern`. Anything else in a schema is
//! refused, so the validator never passes a document by not understanding its
//! schema. No XML Schema library is in the dependency tree, nor `xmllint`
//! on every machine the tests run on.

use std::collections::{BTreeSet, HashMap};

use roxmltree::{Document, Node};

const XS: &str = "http://www.w3.org/2001/XMLSchema";

/// A loaded schema.
pub struct Schema<'s> {
    elements: HashMap<&'s str, Node<'s, 's>>,
    complex: HashMap<&'s str, Node<'s, 's>>,
    patterns: HashMap<&'s str, regex::Regex>,
}

impl<'s> Schema<'s> {
    /// Reads the schema in `doc`, refusing constructs outside the subset.
    pub fn new(doc: &'s Document<'s>) -> Self {
        let root = doc.root_element();
        let mut schema =
            Schema { elements: HashMap::new(), complex: HashMap::new(), patterns: HashMap::new() };
        for node in root.children().filter(Node::is_element) {
            let name = node.attribute("name").expect("a global declaration has a name");
            match node.tag_name().name() {
                "element" => {
                    schema.elements.insert(name, node);
                }
                "complexType" => {
                    schema.complex.insert(name, node);
                }
                "simpleType" => {
                    let pattern = node
                        .descendants()
                        .find(|n| n.has_tag_name((XS, "pattern")))
                        .and_then(|n| n.attribute("value"))
                        .unwrap_or_else(|| panic!("simpleType {name}: only xs:pattern is known"));
                    let anchored = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
                    schema.patterns.insert(name, anchored);
                }
                other => panic!("xs:{other} is outside the subset this validator knows"),
            }
        }
        schema
    }

    /// The problems of `xml` against the schema, one line each; empty when valid.
    pub fn problems(&self, xml: &str) -> Vec<String> {
        let doc = match Document::parse(xml) {
            Ok(doc) => doc,
            Err(e) => return vec![format!("not well-formed XML: {e}")],
        };
        let root = doc.root_element();
        let mut problems = Vec::new();
        match self.elements.get(root.tag_name().name()) {
            Some(decl) => self.element(root, *decl, &mut problems),
            None => problems.push(format!("<{}> is not a root the schema declares", name(root))),
        }
        problems
    }

    /// Checks `node` against the element declaration `decl`.
    fn element(&self, node: Node, decl: Node<'s, 's>, problems: &mut Vec<String>) {
        let inline = decl.children().find(|n| n.has_tag_name((XS, "complexType")));
        match (decl.attribute("type"), inline) {
            (Some("xs:string"), None) => {
                if let Some(child) = node.children().find(Node::is_element) {
                    problems.push(format!("<{}> holds <{}>: text only", name(node), name(child)));
                }
                self.attributes(node, None, problems);
            }
            (Some(named), None) => match self.complex.get(named) {
                Some(ty) => self.complex_type(node, *ty, problems),
                None => panic!("type {named} is outside the subset"),
            },
            (None, Some(ty)) => self.complex_type(node, ty, problems),
            _ => panic!("element {:?}: a type or an inline complexType", decl.attribute("name")),
        }
    }

    fn complex_type(&self, node: Node, ty: Node<'s, 's>, problems: &mut Vec<String>) {
        self.attributes(node, Some(ty), problems);
        let mixed = ty.attribute("mixed") == Some("true");
        if !mixed
            && let Some(text) =
                node.children().find(|n| n.is_text() && !n.text().unwrap().trim().is_empty())
        {
            problems.push(format!("<{}> holds text {:?}: elements only", name(node), text.text()));
        }
        let children: Vec<Node> = node.children().filter(Node::is_element).collect();
        let particle = ty.children().find(|n| n.is_element() && !n.has_tag_name((XS, "attribute")));
        let Some(particle) = particle else {
            if let Some(child) = children.first() {
                problems.push(format!("<{}> holds <{}>: it is empty", name(node), name(*child)));
            }
            return;
        };
        let ends = self.matches(particle, &children, 0);
        if !ends.contains(&children.len()) {
            let got: Vec<String> = children.iter().map(|c| name(*c)).collect();
            problems
                .push(format!("<{}> holds {got:?}, which its content model refuses", name(node)));
            return;
        }
        for child in children {
            match self.declaration(particle, child.tag_name().name()) {
                Some(decl) => self.element(child, decl, problems),
                None => problems.push(format!("<{}> is not declared", name(child))),
            }
        }
    }

    /// Checks the attributes of `node` against those `ty` declares (none without one).
    fn attributes(&self, node: Node, ty: Option<Node<'s, 's>>, problems: &mut Vec<String>) {
        let declared: Vec<Node> = ty
            .map(|t| t.children().filter(|n| n.has_tag_name((XS, "attribute"))).collect())
            .unwrap_or_default();
        for attribute in node.attributes() {
            if attribute.namespace().is_some() {
                continue;
            }
            let Some(decl) =
                declared.iter().find(|d| d.attribute("name") == Some(attribute.name()))
            else {
                problems.push(format!(
                    "<{}> carries attribute {:?}, which the schema does not allow there",
                    name(node),
                    attribute.name()
                ));
                continue;
            };
            match decl.attribute("type") {
                Some("xs:string") | None => {}
                Some(ty) => match self.patterns.get(ty) {
                    Some(pattern) if pattern.is_match(attribute.value()) => {}
                    Some(_) => problems.push(format!(
                        "<{}> {}={:?} does not match the schema's {ty}",
                        name(node),
                        attribute.name(),
                        attribute.value()
                    )),
                    None => panic!("attribute type {ty} is outside the subset"),
                },
            }
        }
        for decl in declared.iter().filter(|d| d.attribute("use") == Some("required")) {
            let wanted = decl.attribute("name").unwrap();
            if node.attribute(wanted).is_none() {
                problems.push(format!("<{}> lacks the required attribute {wanted:?}", name(node)));
            }
        }
    }

    /// The declaration an element called `tag` has within `particle`: a local
    /// one, or the global one a `ref` names.
    fn declaration(&self, particle: Node<'s, 's>, tag: &str) -> Option<Node<'s, 's>> {
        particle.descendants().filter(|n| n.has_tag_name((XS, "element"))).find_map(|n| {
            match (n.attribute("ref"), n.attribute("name")) {
                (Some(r), _) if r == tag => self.elements.get(r).copied(),
                (None, Some(local)) if local == tag => Some(n),
                _ => None,
            }
        })
    }

    /// Every position in `children` at which `particle`, begun at `at`, can end.
    fn matches(&self, particle: Node, children: &[Node], at: usize) -> BTreeSet<usize> {
        let min: usize = particle.attribute("minOccurs").map_or(1, |m| m.parse().unwrap());
        let max = match particle.attribute("maxOccurs") {
            Some("unbounded") => usize::MAX,
            Some(m) => m.parse().unwrap(),
            None => 1,
        };
        let mut ends = BTreeSet::new();
        if min == 0 {
            ends.insert(at);
        }
        let mut frontier = BTreeSet::from([at]);
        let mut seen = frontier.clone();
        let mut count = 0;
        while !frontier.is_empty() && count < max {
            count += 1;
            let next: BTreeSet<usize> =
                frontier.iter().flat_map(|&from| self.once(particle, children, from)).collect();
            if count >= min {
                ends.extend(&next);
                // Past the minimum, a position reached before leads nowhere new
                // (and a repetition that consumes nothing would loop forever).
                frontier = next.difference(&seen).copied().collect();
            } else {
                frontier = next;
            }
            seen.extend(&frontier);
        }
        ends
    }

    /// Every position at which one occurrence of `particle` begun at `at` ends.
    fn once(&self, particle: Node, children: &[Node], at: usize) -> BTreeSet<usize> {
        let items = || particle.children().filter(Node::is_element);
        match particle.tag_name().name() {
            "element" => {
                let tag = particle.attribute("ref").or(particle.attribute("name")).unwrap();
                match children.get(at) {
                    Some(child) if child.tag_name().name() == tag => BTreeSet::from([at + 1]),
                    _ => BTreeSet::new(),
                }
            }
            "sequence" => items().fold(BTreeSet::from([at]), |froms, item| {
                froms.iter().flat_map(|&f| self.matches(item, children, f)).collect()
            }),
            "choice" => items().flat_map(|item| self.matches(item, children, at)).collect(),
            other => panic!("xs:{other} is outside the subset this validator knows"),
        }
    }
}

fn name(node: Node) -> String {
    node.tag_name().name().to_owned()
}

/// The vendored JUnit schema's problems with `xml`.
pub fn junit_problems(xml: &str) -> Vec<String> {
    let text = std::fs::read_to_string(crate::common::repo("schemas/junit/junit-10.xsd")).unwrap();
    let doc = Document::parse(&text).unwrap();
    Schema::new(&doc).problems(xml)
}

#[cfg(test)]
mod tests {
    use super::junit_problems;

    #[test]
    fn the_junit_schema_takes_a_plain_report_and_refuses_what_jenkins_refuses() {
        let good = r#"<testsuites name="g" tests="2" failures="1" errors="0" time="1.500">
  <testsuite name="s" tests="2" failures="1" errors="0" skipped="0" time="1.500">
    <properties><property name="gauntlet.version" value="0.1.0"/></properties>
    <testcase classname="c" name="a" time="0.500"/>
    <testcase classname="c" name="b"><failure message="m">body</failure></testcase>
  </testsuite>
</testsuites>"#;
        assert_eq!(junit_problems(good), Vec::<String>::new());
        let cases = [
            (
                good.replace(
                    "errors=\"0\" time=\"1.500\">\n  <testsuite",
                    "errors=\"0\" skipped=\"1\">\n  <testsuite",
                ),
                "<testsuites> carries attribute \"skipped\"",
            ),
            (
                good.replace("failures=\"1\" errors=\"0\" skipped", "failures=\"1\" skipped"),
                "<testsuite> lacks the required attribute \"errors\"",
            ),
            (
                good.replace("skipped=\"0\" time=\"1.500\"", "skipped=\"0\" time=\"1e0\""),
                "time=\"1e0\" does not match",
            ),
            (
                good.replace("<failure message=\"m\">body</failure>", "<oops/>"),
                "content model refuses",
            ),
            (good.replace("value=\"0.1.0\"", ""), "lacks the required attribute \"value\""),
            (
                good.replace("<testcase classname=\"c\" name=\"a\" time=\"0.500\"/>", "text"),
                "holds text",
            ),
            ("<testsuite/>".to_owned(), "lacks the required attribute \"name\""),
            ("<nope/>".to_owned(), "not a root"),
        ];
        for (xml, says) in cases {
            let problems = junit_problems(&xml).join("\n");
            assert!(problems.contains(says), "{says:?} not in {problems:?} for {xml}");
        }
    }
}
