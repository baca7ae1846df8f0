//! Where comments and blank lines go in the tree.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use polc_lang::ast::{Comment, File};
use polc_lang::syntax::parse;

fn texts(cs: &[Comment]) -> Vec<&str> {
    cs.iter().map(|c| c.text.as_str()).collect()
}

fn ok(text: &str) -> File {
    let (file, diags) = parse("t.pol", text);
    assert!(diags.is_empty(), "{diags:#?}");
    file
}

#[test]
fn comments_are_attached_where_they_belong() {
    let text = "# head 1
# head 2
policy a { # after brace
    # lead
    version 1 # trail
    allow read # mid
        \"/x\"

    # after blank
    mode enforce
    # closing 1
    # closing 2
} # after close

abstraction b {
    # only closing
}
# end\t  \r
";
    let file = ok(text);
    let [a, b] = &file.items[..] else { panic!() };
    assert_eq!(texts(&a.comments), [" head 1", " head 2"]);
    let [version, allow, mode] = &a.body[..] else {
        panic!()
    };
    assert_eq!(texts(&version.comments), [" after brace", " lead"]);
    assert_eq!(version.trailing_comment.as_ref().unwrap().text, " trail");
    assert!(!version.blank_line_before);
    assert_eq!(texts(&allow.comments), [" mid"]);
    assert_eq!(allow.trailing_comment, None);
    assert!(!allow.blank_line_before);
    assert_eq!(texts(&mode.comments), [" after blank"]);
    assert!(mode.blank_line_before);
    assert_eq!(texts(&a.closing_comments), [" closing 1", " closing 2"]);
    assert_eq!(texts(&b.comments), [" after close"]);
    assert!(b.body.is_empty());
    assert_eq!(texts(&b.closing_comments), [" only closing"]);
    assert_eq!(
        texts(&file.trailing_comments),
        [" end"],
        "trailing whitespace is dropped"
    );
    // Comment spans run from `#` to the end of the text.
    let c = &file.trailing_comments[0];
    assert_eq!(&text[c.span.start..c.span.end], "# end");
}

#[test]
fn comment_text_is_kept_verbatim() {
    let file = ok("#no space\n#  two  spaces\n#\n##\n# \"q\" \\ ${x} é\u{0}");
    assert_eq!(
        texts(&file.trailing_comments),
        [
            "no space",
            "  two  spaces",
            "",
            "#",
            " \"q\" \\ ${x} é\u{0}"
        ]
    );
}

#[test]
fn a_hash_in_a_string_is_not_a_comment() {
    let file = ok("policy a { attach \"/a#b\" # c\n}");
    let st = &file.items[0].body[0];
    assert!(st.comments.is_empty());
    assert_eq!(st.trailing_comment.as_ref().unwrap().text, " c");
}

#[test]
fn trailing_comment_before_closing_brace() {
    let file = ok("policy a {\n    version 1 # t\n    # c\n}");
    let item = &file.items[0];
    assert_eq!(item.body[0].trailing_comment.as_ref().unwrap().text, " t");
    assert_eq!(texts(&item.closing_comments), [" c"]);
}

#[test]
fn trailing_comment_belongs_to_the_statement_ending_on_its_line() {
    // Two statements on a line: the comment goes to the second.
    let file = ok("policy a {\n    version 1 mode enforce # t\n}");
    let body = &file.items[0].body;
    assert_eq!(body[0].trailing_comment, None);
    assert_eq!(body[1].trailing_comment.as_ref().unwrap().text, " t");
    // A statement spanning lines: the comment after its last line is trailing.
    let file = ok("policy a {\n    allow read\n        \"/x\" # t\n}");
    assert_eq!(
        file.items[0].body[0]
            .trailing_comment
            .as_ref()
            .unwrap()
            .text,
        " t"
    );
}

#[test]
fn blank_lines() {
    let file = ok("policy a {

    version 1


    mode enforce
    # c

    attach \"/x\" # t

    owns \"/a\"
    # d
    owns \"/b\"
}");
    let blanks: Vec<bool> = file.items[0]
        .body
        .iter()
        .map(|s| s.blank_line_before)
        .collect();
    // The first statement never has one; a blank line between a comment and its
    // statement counts.
    assert_eq!(blanks, [false, true, true, true, false]);
    // CRLF blank lines.
    let file = ok("policy a {\r\n    version 1\r\n\r\n    mode enforce\r\n}\r\n");
    assert!(file.items[0].body[1].blank_line_before);
    // Whitespace-only lines are blank.
    let file = ok("policy a {\n    version 1\n   \t \n    mode enforce\n}\n");
    assert!(file.items[0].body[1].blank_line_before);
}

#[test]
fn comments_in_an_item_header_go_before_the_item() {
    let file = ok("# a\npolicy # b\n  p # c\n  { # d\n}");
    let item = &file.items[0];
    assert_eq!(texts(&item.comments), [" a", " b", " c"]);
    assert_eq!(texts(&item.closing_comments), [" d"]);
}
