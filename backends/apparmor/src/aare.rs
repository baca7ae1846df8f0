//! polc globs and literal paths → AppArmor patterns (AARE), exactly and injection-free.
//!
//! # The two path forms
//!
//! The AppArmor kernel names a non-directory object by its path (`/a/b`) and a directory
//! by its path with a trailing slash (`/a/b/`, the root is `/`). polc paths never end in
//! `/`, and polc rights say whether they are about the file at a path or the directory at
//! it (`list`). So a polc glob `G` becomes one of two AppArmor patterns:
//!
//! - the *file form* matches exactly the paths of `G` that do not end in `/` — every path
//!   of `G` except the root;
//! - the *directory form* matches `p/` for every path `p` of `G` other than the root, and
//!   `/` when `G` matches the root.
//!
//! A plain transcription would not do: AppArmor's `**` also matches a trailing `/`, so
//! `"/a/**" r` grants listing every directory below `/a`. The file form therefore ends
//! every nullable tail with `[^/]` (one byte that is not `/`): `/a/**` becomes
//! `/a/**[^/]`, `/a/*` becomes `/a/*[^/]`.
//!
//! # Wildcards
//!
//! polc `*` and AppArmor `*` both match a run of non-`/` characters; polc `**` and
//! AppArmor `**` any run. AppArmor makes a `*`/`**` that directly follows a `/` and
//! precedes a `/` or the end match at least one byte: on polc's valid paths this only
//! removes strings with an empty component, which are not paths. polc `?` is one
//! *character*, AppArmor `?` one *byte*, so `?` is emitted as an alternation of the
//! UTF-8 encodings of one non-`/` character. `{a,b}` is AppArmor's `{a,b}`; a group with
//! one alternative is inlined (AppArmor rejects `{a}`).
//!
//! # Escaping
//!
//! Every literal character that AppArmor's pattern or string syntax treats specially is
//! escaped: `* ? [ ] { } , ^` with a backslash, `"` and `\` as `\x22` and `\x5c` (so the
//! emitted string never holds a `\` right before a `"`, which AppArmor's lexer would read as
//! an escaped quote and run on to the next quote), and a literal `@` right before a brace
//! group as `[@]` (AppArmor reads `@{` as a variable). Control characters and NUL are
//! refused, as are texts with an empty component (`//`, which AppArmor would collapse).

use polc_lang::glob::class::{self, CharClass};
use std::collections::BTreeSet;

/// A node of a parsed polc glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// Literal characters (never empty).
    Lit(String),
    /// `*`
    Star,
    /// `**`
    StarStar,
    /// `?`
    Quest,
    /// `[...]`: one character of the class.
    Class(CharClass),
    /// `[...]+`: one or more characters of the class.
    ClassPlus(CharClass),
    /// `{a,b,...}`: alternatives, each a sequence.
    Alt(Vec<Vec<Node>>),
}

/// A piece of an AppArmor pattern.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Out {
    Lit(String),
    Star,
    StarStar,
    /// One UTF-8 character other than `/`.
    Quest,
    /// `[^/]`: one byte other than `/`.
    NotSlash,
    /// One character of a class, as AppArmor pattern text (see [`class_pattern`]).
    Class(String),
    /// Two or more alternatives.
    Alt(Vec<Vec<Out>>),
}

/// Why a glob or path cannot be emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal(pub String);

/// The deepest brace nesting emitted (AppArmor's limit is 50).
const MAX_DEPTH: usize = 40;
/// The longest pattern emitted, in bytes as written between its quotes.
/// `apparmor_parser`'s scanner (flex, 16 KiB buffer, `REJECT` rules) cannot read a
/// token of 16,383 bytes or more ("input buffer overflow, can't enlarge buffer because
/// scanner uses REJECT"); a quoted pattern of 16,380 bytes is a 16,382-byte token, the
/// longest it reads (measured with apparmor_parser 3.0.8, `-QK`).
pub const MAX_PATTERN: usize = 16_380;

fn check_text(text: &str) -> Result<(), Refusal> {
    // A glob may start with a group whose alternatives all start with `/`; the rendered
    // pattern is checked again.
    if !text.starts_with(['/', '{']) {
        return Err(Refusal("it is not absolute".into()));
    }
    // The same characters the glob module refuses (C0 controls and DEL); AppArmor's lexer
    // would also take them literally inside quotes, but a newline has no business there.
    if let Some(c) = text.chars().find(|c| *c < ' ' || *c == '\u{7f}') {
        return Err(Refusal(format!(
            "it holds the control character `{}`",
            c.escape_default()
        )));
    }
    if text.contains("//") {
        return Err(Refusal("it has an empty component (`//`)".into()));
    }
    if text.len() > 1 && text.ends_with('/') {
        return Err(Refusal("it ends with `/`".into()));
    }
    Ok(())
}

/// Parse a polc glob (syntax only; the checker validates the path form of expansions).
pub(crate) fn parse(text: &str) -> Result<Vec<Node>, Refusal> {
    check_text(text)?;
    // A stack of open groups: (alternatives so far, current alternative).
    let mut stack: Vec<(Vec<Vec<Node>>, Vec<Node>)> = Vec::new();
    let mut cur: Vec<Node> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '[' => {
                let scanned = class::scan(text, i).map_err(|e| Refusal(e.kind.to_string()))?;
                while chars.next_if(|&(j, _)| j < scanned.end).is_some() {}
                cur.push(if scanned.plus {
                    Node::ClassPlus(scanned.class)
                } else {
                    Node::Class(scanned.class)
                });
            }
            '*' => {
                let mut n = 1;
                while chars.next_if(|&(_, c)| c == '*').is_some() {
                    n += 1;
                }
                match n {
                    1 => cur.push(Node::Star),
                    2 => cur.push(Node::StarStar),
                    _ => return Err(Refusal("it holds `***`".into())),
                }
            }
            '?' => cur.push(Node::Quest),
            '{' => {
                stack.push((Vec::new(), std::mem::take(&mut cur)));
                if stack.len() > MAX_DEPTH {
                    return Err(Refusal(format!(
                        "it nests braces deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            ',' if !stack.is_empty() => {
                if let Some((alts, _)) = stack.last_mut() {
                    alts.push(std::mem::take(&mut cur));
                }
            }
            '}' => match stack.pop() {
                Some((mut alts, outer)) => {
                    alts.push(std::mem::take(&mut cur));
                    cur = outer;
                    cur.push(Node::Alt(alts));
                }
                None => return Err(Refusal("it has an unbalanced `}`".into())),
            },
            _ => {
                // The run of literal characters from here, taken whole.
                let in_group = !stack.is_empty();
                let mut end = i + c.len_utf8();
                while let Some((j, d)) = chars.next_if(|&(_, d)| {
                    !(matches!(d, '[' | '*' | '?' | '{' | '}') || (in_group && d == ','))
                }) {
                    end = j + d.len_utf8();
                }
                let run = text.get(i..end).unwrap_or_default();
                match cur.last_mut() {
                    Some(Node::Lit(s)) => s.push_str(run),
                    _ => cur.push(Node::Lit(run.to_string())),
                }
            }
        }
    }
    if !stack.is_empty() {
        return Err(Refusal("it has an unclosed `{`".into()));
    }
    Ok(cur)
}

fn nullable(n: &Node) -> bool {
    match n {
        Node::Lit(_) | Node::Quest | Node::Class(_) | Node::ClassPlus(_) => false,
        Node::Star | Node::StarStar => true,
        Node::Alt(alts) => alts.iter().any(|a| a.iter().all(nullable)),
    }
}

fn full(seq: &[Node]) -> Vec<Out> {
    seq.iter()
        .map(|n| match n {
            Node::Lit(s) => Out::Lit(s.clone()),
            Node::Star => Out::Star,
            Node::StarStar => Out::StarStar,
            Node::Quest => Out::Quest,
            Node::Class(c) => class_out(c),
            Node::ClassPlus(c) => {
                // `C{,C{,C...}}`: one to MAX_REPEAT characters, linear in size.
                let one = class_out(c);
                let mut tail: Vec<Out> = Vec::new();
                for _ in 1..MAX_REPEAT {
                    let mut more = vec![one.clone()];
                    more.extend(tail);
                    tail = vec![Out::Alt(vec![Vec::new(), more])];
                }
                let mut seq = vec![one];
                seq.extend(tail);
                Out::Alt(vec![seq])
            }
            Node::Alt(alts) => Out::Alt(alts.iter().map(|a| full(a)).collect()),
        })
        .collect()
}

/// How many characters of a class `[...]+` stands for at most in AppArmor, which has
/// no repetition: enough for every user id (10 digits) and process id (7 digits); a
/// longer run is not matched, so the rule is narrowed (an allow) or widened (a deny).
pub const MAX_REPEAT: usize = 10;

/// True when the glob holds a `[...]+`, which AppArmor matches only up to
/// [`MAX_REPEAT`] characters.
pub(crate) fn has_repeat(seq: &[Node]) -> bool {
    seq.iter().any(|n| match n {
        Node::ClassPlus(_) => true,
        Node::Alt(alts) => alts.iter().any(|a| has_repeat(a)),
        _ => false,
    })
}

/// One character of a class as AppArmor pattern text. AppArmor classes are classes of
/// bytes: the ASCII members become a byte class, written as `\xNN` except the four
/// characters AppArmor's class syntax reads after decoding escapes (`-` written first,
/// `\]`, `\\` and `\^` last, each checked against `apparmor_parser`); members at or
/// above U+0080 are supported when the class holds all of them (a negated ASCII class),
/// as the UTF-8 sequences of `?`; a class holding some but not all of them gives an
/// empty text, refused when rendered. A class of one ASCII character is that literal.
fn push_byte_range(out: &mut String, a: u32, b: u32) {
    if a == b {
        out.push_str(&format!("\\x{a:02x}"));
    } else {
        out.push_str(&format!("\\x{a:02x}-\\x{b:02x}"));
    }
}

fn class_out(c: &CharClass) -> Out {
    if let [(a, b)] = c.ranges() {
        if a == b && *a < 0x80 {
            if let Some(ch) = char::from_u32(*a) {
                return Out::Lit(ch.to_string());
            }
        }
    }
    Out::Class(class_pattern(c))
}

fn class_pattern(c: &CharClass) -> String {
    // apparmor_parser decodes `\x2c` to an escaped comma, which a class reads as `\` and
    // `,` (and `\x01-\x2c` as the range `\x01-\`): a comma is written as itself.
    const SPECIAL: [u32; 5] = [0x2c, 0x2d, 0x5c, 0x5d, 0x5e];
    let mut ascii = String::new();
    let mut special: BTreeSet<u32> = BTreeSet::new();
    let mut high: Vec<(u32, u32)> = Vec::new();
    for &(a, b) in c.ranges() {
        if a <= 0x7f {
            let hi = b.min(0x7f);
            // The range without the special characters, in pieces.
            let mut lo = a;
            for x in a..=hi {
                if SPECIAL.contains(&x) {
                    special.insert(x);
                    if lo < x {
                        push_byte_range(&mut ascii, lo, x - 1);
                    }
                    lo = x + 1;
                }
            }
            if lo <= hi {
                push_byte_range(&mut ascii, lo, hi);
            }
        }
        if b >= 0x80 {
            high.push((a.max(0x80), b));
        }
    }
    if special.contains(&0x2d) {
        ascii.insert(0, '-');
    }
    for (x, text) in [(0x2c, ","), (0x5d, "\\]"), (0x5c, "\\\\"), (0x5e, "\\^")] {
        if special.contains(&x) {
            ascii.push_str(text);
        }
    }
    let all_high = high == [(0x80, char::MAX as u32)];
    if !high.is_empty() && !all_high {
        return String::new();
    }
    let byte_class = (!ascii.is_empty()).then(|| format!("[{ascii}]"));
    match (byte_class, all_high) {
        (Some(b), false) => b,
        (None, false) => String::new(),
        (b, true) => {
            // QUEST without its ASCII alternative: `{[..],[\xc2-\xdf][\x80-\xbf],...}`.
            let multi = QUEST
                .get(QUEST.find("],").map_or(0, |i| i + 2)..QUEST.len() - 1)
                .unwrap_or_default();
            match b {
                Some(b) => format!("{{{b},{multi}}}"),
                None => format!("{{{multi}}}"),
            }
        }
    }
}

/// The alternation of `alts` (`None` is the empty set).
fn alt_of(alts: Vec<Option<Vec<Out>>>) -> Option<Vec<Out>> {
    if alts.iter().flatten().count() <= 1 {
        return alts.into_iter().flatten().next();
    }
    let set: BTreeSet<Vec<Out>> = alts.into_iter().flatten().collect();
    let mut v: Vec<Vec<Out>> = set.into_iter().collect();
    match v.len() {
        0 => None,
        1 => v.pop(),
        _ => Some(vec![Out::Alt(v)]),
    }
}

/// The strings of `seq` that are non-empty and do not end in `/`.
fn no_trailing_slash(seq: &[Node]) -> Option<Vec<Out>> {
    let (last, prefix) = seq.split_last()?;
    let with_last = no_trailing_slash_node(last).map(|tail| {
        let mut v = full(prefix);
        v.extend(tail);
        v
    });
    let without_last = if nullable(last) {
        no_trailing_slash(prefix)
    } else {
        None
    };
    alt_of(vec![with_last, without_last])
}

fn no_trailing_slash_node(n: &Node) -> Option<Vec<Out>> {
    match n {
        Node::Lit(s) if s.ends_with('/') => None,
        Node::Lit(s) => Some(vec![Out::Lit(s.clone())]),
        Node::Star => Some(vec![Out::Star, Out::NotSlash]),
        Node::StarStar => Some(vec![Out::StarStar, Out::NotSlash]),
        Node::Quest => Some(vec![Out::Quest]),
        Node::Class(_) | Node::ClassPlus(_) => Some(full(std::slice::from_ref(n))),
        Node::Alt(alts) => alt_of(alts.iter().map(|a| no_trailing_slash(a)).collect()),
    }
}

/// The end positions of matches of `seq` against `s` from `start` (polc semantics).
fn ends(seq: &[Node], s: &[char], start: usize) -> BTreeSet<usize> {
    let mut cur: BTreeSet<usize> = BTreeSet::from([start]);
    for n in seq {
        let mut next = BTreeSet::new();
        for &p in &cur {
            match n {
                Node::Lit(l) => {
                    let n = l.chars().count();
                    if s.get(p..p + n)
                        .is_some_and(|w| w.iter().copied().eq(l.chars()))
                    {
                        next.insert(p + n);
                    }
                }
                Node::Star => {
                    let mut q = p;
                    next.insert(q);
                    while s.get(q).is_some_and(|c| *c != '/') {
                        q += 1;
                        next.insert(q);
                    }
                }
                Node::StarStar => next.extend(p..=s.len()),
                Node::Quest => {
                    if s.get(p).is_some_and(|c| *c != '/') {
                        next.insert(p + 1);
                    }
                }
                Node::Class(c) => {
                    if s.get(p).is_some_and(|x| c.holds(*x)) {
                        next.insert(p + 1);
                    }
                }
                Node::ClassPlus(c) => {
                    let mut q = p;
                    while s.get(q).is_some_and(|x| c.holds(*x)) {
                        q += 1;
                        next.insert(q);
                    }
                }
                Node::Alt(alts) => {
                    for a in alts {
                        next.extend(ends(a, s, p));
                    }
                }
            }
        }
        cur = next;
    }
    cur
}

fn matches_root(seq: &[Node]) -> bool {
    ends(seq, &['/'], 0).contains(&1)
}

/// An AppArmor pattern for both forms of a glob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Forms {
    /// The file form (`None`: the glob names no non-directory path, e.g. `/`).
    pub file: Option<String>,
    /// The directory form.
    pub dir: Option<String>,
    /// One pattern for both forms, when the glob's plain transcription matches exactly
    /// the union of the two on valid paths (see [`whole_form`]): a line that grants a
    /// rule's files and directories the same letters is written once, which keeps
    /// `apparmor_parser`'s automaton smaller.
    pub whole: Option<String>,
    /// The glob holds a `[...]+`, matched only up to [`MAX_REPEAT`] characters.
    pub repeat: bool,
}

/// Translate a polc glob into its file and directory forms.
///
/// The common shapes are written directly ([`plain_forms`], [`common_forms`]); the
/// others by the general construction ([`general_forms`]), which the direct forms equal
/// (a property test compares them on random globs).
pub(crate) fn glob_forms(text: &str) -> Result<Forms, Refusal> {
    if let Some(forms) = plain_forms(text) {
        return forms;
    }
    let seq = parse(text)?;
    match common_forms(&seq)? {
        Some(forms) => Ok(forms),
        None => general_forms(&seq),
    }
}

/// The shape of a glob's end that [`plain_forms`] and [`common_forms`] write directly.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    /// A literal that does not end in `/`: the file form is the glob's transcription, and
    /// no path of the glob is the root.
    Literal,
    /// A literal ending in `/` then `*` (`false`) or `**` (`true`), not matching the root:
    /// the file form is the transcription followed by `[^/]`.
    Stars(bool),
}

/// The forms of a shape of [`End`], from the transcription of the whole glob (`full`
/// rendered): the file form as the general construction builds it (for `Literal`,
/// `no_trailing_slash` keeps the sequence as it is; for `Stars`, the only string it
/// drops is the one ending in the literal's `/`, so the star gets its `[^/]`), the
/// directory form that plus `/` (the root is not matched), and for `Stars(true)` the
/// one pattern of [`whole_form`].
fn end_forms(end: End, transcription: String, repeat: bool) -> Forms {
    let (file, whole) = match end {
        End::Literal => (transcription, None),
        End::Stars(starstar) => {
            let mut file = String::with_capacity(transcription.len() + 5);
            file.push_str(&transcription);
            file.push_str("[^/]");
            (file, starstar.then_some(transcription))
        }
    };
    let mut dir = String::with_capacity(file.len() + 1);
    dir.push_str(&file);
    dir.push('/');
    Forms {
        dir: Some(dir),
        file: Some(file),
        whole,
        repeat,
    }
}

/// The forms of a glob without groups, classes or `?` whose end is a shape of [`End`],
/// from its text alone: its transcription is the text with every literal character
/// escaped (the stars are AppArmor's). `None` for any other glob. A glob of this kind
/// matches the root only when it is `/`, `/*` or `/**`, which are left to the general
/// construction.
fn plain_forms(text: &str) -> Option<Result<Forms, Refusal>> {
    // One pass over the bytes: the syntax that takes it elsewhere, what [`check_text`]
    // may refuse (then it says why), `***`, and whether a character needs escaping.
    let (mut escape, mut suspect, mut three_stars) = (false, false, false);
    let (mut prev, mut stars) = (0u8, 0usize);
    for &b in text.as_bytes() {
        match b {
            b'[' | b'?' | b'{' | b'}' => return None,
            b',' | b'^' | b'"' | b'\\' | b']' => escape = true,
            b'/' if prev == b'/' => suspect = true,
            b if b < b' ' || b == 0x7f => suspect = true,
            _ => {}
        }
        stars = if b == b'*' { stars + 1 } else { 0 };
        three_stars |= stars > 2;
        prev = b;
    }
    let body = text.trim_end_matches('*');
    let end = match text.len() - body.len() {
        0 if text != "/" => End::Literal,
        n @ (1 | 2) if body.ends_with('/') && body != "/" => End::Stars(n == 2),
        _ => return None,
    };
    if suspect || !text.starts_with('/') || (text.len() > 1 && text.ends_with('/')) {
        if let Err(e) = check_text(text) {
            return Some(Err(e));
        }
    }
    if three_stars {
        return Some(Err(Refusal("it holds `***`".into())));
    }
    let out = if escape {
        let mut out = String::with_capacity(text.len() + 8);
        for c in text.chars() {
            if c == '*' {
                out.push('*');
            } else {
                push_literal(&mut out, c);
            }
        }
        out
    } else {
        text.to_string()
    };
    Some(Ok(end_forms(end, out, false)))
}

/// The forms of a parsed glob whose end is a shape of [`End`] (`None` for any other).
fn common_forms(seq: &[Node]) -> Result<Option<Forms>, Refusal> {
    let Some((last, prefix)) = seq.split_last() else {
        return Ok(None);
    };
    let end = match (prefix.last(), last) {
        (_, Node::Lit(s)) if !s.ends_with('/') => End::Literal,
        (Some(Node::Lit(s)), Node::Star | Node::StarStar)
            if s.ends_with('/') && !matches_root(seq) =>
        {
            End::Stars(*last == Node::StarStar)
        }
        _ => return Ok(None),
    };
    let transcription = render(full(seq))?;
    Ok(Some(end_forms(end, transcription, has_repeat(seq))))
}

/// The general construction of the forms of a parsed glob.
fn general_forms(seq: &[Node]) -> Result<Forms, Refusal> {
    let file = no_trailing_slash(seq);
    let dir = alt_of(vec![
        file.clone().map(|mut v| {
            v.push(Out::Lit("/".into()));
            v
        }),
        matches_root(seq).then(|| vec![Out::Lit("/".into())]),
    ]);
    let whole = whole_form(seq).map(render).transpose()?;
    Ok(Forms {
        file: file.map(render).transpose()?,
        dir: dir.map(render).transpose()?,
        whole,
        repeat: has_repeat(seq),
    })
}

/// The plain transcription of a glob that ends in a literal and `**` (`/usr/share/**`,
/// `/var/log/app**`) and does not match the root: AppArmor's `**` also matches a trailing
/// `/`, and here that is exactly the directory form. Every string it matches is the
/// prefix's string `x` (which ends in the literal's last character) followed by a run
/// `w`; ending in a non-`/` it is a path of the glob (the file form), ending in `/` it is
/// `p/` for the path `p` of the glob that the shorter run gives (the directory form);
/// conversely every `p` and `p/` is such a string. When the literal ends in `/`,
/// AppArmor's `**` there matches at least one byte, so `x` itself (which would end in
/// `/`) is not matched, as neither form holds it. A glob that matches the root (`/**`)
/// is left to the two forms: its directory form holds `/`, which the pattern does not.
fn whole_form(seq: &[Node]) -> Option<Vec<Out>> {
    match seq {
        [.., Node::Lit(_), Node::StarStar] if !matches_root(seq) => Some(full(seq)),
        _ => None,
    }
}

/// A literal absolute path as an AppArmor pattern (for `attach`).
pub(crate) fn literal_path(text: &str) -> Result<String, Refusal> {
    check_text(text)?;
    let out = render(vec![Out::Lit(text.to_string())])?;
    check_length(&out)?;
    Ok(out)
}

/// Flatten nested sequences and merge adjacent pieces that would change meaning when
/// written side by side (`*` next to `*` reads as `**`).
fn normalize(seq: Vec<Out>) -> Vec<Out> {
    let mut v: Vec<Out> = Vec::with_capacity(seq.len());
    for o in seq {
        let o = match o {
            Out::Alt(alts) => {
                let mut alts: Vec<Vec<Out>> = alts.into_iter().map(normalize).collect();
                alts.sort();
                alts.dedup();
                let prefix = strip_common_prefix(&mut alts);
                if !prefix.is_empty() {
                    for x in prefix {
                        push_merged(&mut v, x);
                    }
                    alts.sort();
                    alts.dedup();
                }
                if alts.len() == 1 {
                    for x in alts.remove(0) {
                        push_merged(&mut v, x);
                    }
                    continue;
                }
                Out::Alt(alts)
            }
            other => other,
        };
        push_merged(&mut v, o);
    }
    v
}

/// Remove the pieces every alternative starts with (whole pieces, then the literal text
/// their next pieces start with), and return them: `{*/.x,*/.x*[^/]}` is written
/// `*/.x{,*[^/]}`, as the same glob's other forms are, so that lines differing only in
/// their head join (`profile/join.rs`). The same strings on valid paths: a `*` moved out
/// of the group that now follows a `/` and precedes a `/` matches at least one byte in
/// AppArmor, which only leaves out strings with an empty component.
fn strip_common_prefix(alts: &mut [Vec<Out>]) -> Vec<Out> {
    let mut prefix: Vec<Out> = Vec::new();
    // Whole pieces, while every alternative starts with the same one.
    let mut n = 0;
    loop {
        let mut firsts = alts.iter().map(|a| a.get(n));
        let Some(Some(first)) = firsts.next() else {
            break;
        };
        if !firsts.all(|f| f == Some(first)) {
            break;
        }
        prefix.push(first.clone());
        n += 1;
    }
    // Pieces are compared whole: literals that only start alike are cut below.
    if n > 0 {
        for a in alts.iter_mut() {
            a.drain(..n.min(a.len()));
        }
    }
    let text = strip_common_text(alts);
    if !text.is_empty() {
        match prefix.last_mut() {
            Some(Out::Lit(s)) => s.push_str(&text),
            _ => prefix.push(Out::Lit(text)),
        }
    }
    prefix
}

/// Remove the literal text every alternative starts with, and return it.
fn strip_common_text(alts: &mut [Vec<Out>]) -> String {
    let mut lits = alts.iter().map(|a| match a.first() {
        Some(Out::Lit(s)) => Some(s.as_str()),
        _ => None,
    });
    let Some(Some(first)) = lits.next() else {
        return String::new();
    };
    let mut len = first.len();
    for l in lits {
        let Some(l) = l else {
            return String::new();
        };
        len = first
            .char_indices()
            .zip(l.chars())
            .take_while(|((i, a), b)| *i < len && a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0);
    }
    let prefix = first.get(..len).unwrap_or_default().to_string();
    if prefix.is_empty() {
        return prefix;
    }
    for a in alts.iter_mut() {
        if let Some(Out::Lit(s)) = a.first_mut() {
            *s = s.get(len..).unwrap_or_default().to_string();
            if s.is_empty() {
                a.remove(0);
            }
        }
    }
    prefix
}

fn push_merged(v: &mut Vec<Out>, o: Out) {
    match (v.last_mut(), o) {
        (Some(Out::Lit(a)), Out::Lit(b)) => a.push_str(&b),
        (Some(last @ Out::Star), Out::StarStar) => *last = Out::StarStar,
        (Some(Out::Star), Out::Star)
        | (Some(Out::StarStar), Out::Star)
        | (Some(Out::StarStar), Out::StarStar) => {}
        (_, o) => v.push(o),
    }
}

/// One non-`/` UTF-8 character, as AppArmor byte classes.
const QUEST: &str = "{[\\x01-\\x2e\\x30-\\x7f],[\\xc2-\\xdf][\\x80-\\xbf],[\\xe0-\\xef][\\x80-\\xbf][\\x80-\\xbf],[\\xf0-\\xf4][\\x80-\\xbf][\\x80-\\xbf][\\x80-\\xbf]}";

fn render(seq: Vec<Out>) -> Result<String, Refusal> {
    let seq = normalize(seq);
    let mut out = String::with_capacity(64);
    emit(&seq, &mut out, 0)?;
    if !out.starts_with('/') {
        return Err(Refusal("it is not absolute".into()));
    }
    if out.contains("//") {
        return Err(Refusal("it has an empty component (`//`)".into()));
    }
    Ok(out)
}

/// Refuse a rendered pattern `apparmor_parser` could not read (see [`MAX_PATTERN`]);
/// checked on the forms a profile writes, not on a form a rule leaves unused.
pub(crate) fn check_length(pattern: &str) -> Result<(), Refusal> {
    if pattern.len() > MAX_PATTERN {
        return Err(Refusal(format!(
            "its AppArmor pattern is longer than {MAX_PATTERN} bytes"
        )));
    }
    Ok(())
}

fn open_group(out: &mut String) {
    // `@{` would start an AppArmor variable reference.
    if out.ends_with('@') {
        out.pop();
        out.push_str("[@]");
    }
    out.push('{');
}

fn emit(seq: &[Out], out: &mut String, depth: usize) -> Result<(), Refusal> {
    if depth > MAX_DEPTH {
        return Err(Refusal(format!(
            "it nests braces deeper than {MAX_DEPTH} levels"
        )));
    }
    for o in seq {
        match o {
            Out::Lit(s) => {
                for c in s.chars() {
                    push_literal(out, c);
                }
            }
            Out::Star => out.push('*'),
            Out::StarStar => out.push_str("**"),
            Out::NotSlash => out.push_str("[^/]"),
            Out::Class(text) if text.is_empty() => {
                return Err(Refusal(
                    "a character class holds some but not all non-ASCII characters, which AppArmor's byte classes cannot state".into(),
                ))
            }
            Out::Class(text) => {
                if text.starts_with('{') {
                    open_group(out);
                    out.push_str(text.get(1..).unwrap_or_default());
                } else {
                    out.push_str(text);
                }
            }
            Out::Quest => {
                open_group(out);
                out.push_str(QUEST.get(1..).unwrap_or_default());
            }
            Out::Alt(alts) => {
                open_group(out);
                for (i, a) in alts.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    emit(a, out, depth + 1)?;
                }
                out.push('}');
            }
        }
    }
    Ok(())
}

fn push_literal(out: &mut String, c: char) {
    match c {
        '*' | '?' | '[' | ']' | '{' | '}' | ',' | '^' => {
            out.push('\\');
            out.push(c);
        }
        '"' => out.push_str("\\x22"),
        '\\' => out.push_str("\\x5c"),
        _ => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;

    fn forms(g: &str) -> (Option<String>, Option<String>) {
        let f = glob_forms(g).unwrap();
        (f.file, f.dir)
    }

    fn s(x: &str) -> Option<String> {
        Some(x.to_string())
    }

    #[test]
    fn literals_stay_literal() {
        assert_eq!(forms("/etc/passwd"), (s("/etc/passwd"), s("/etc/passwd/")));
        assert_eq!(forms("/"), (None, s("/")));
    }

    #[test]
    fn trailing_wildcards_exclude_directories() {
        assert_eq!(forms("/a/**"), (s("/a/**[^/]"), s("/a/**[^/]/")));
        assert_eq!(forms("/a/*"), (s("/a/*[^/]"), s("/a/*[^/]/")));
        assert_eq!(forms("/a/b*"), (s("/a/b{,*[^/]}"), s("/a/b{,*[^/]}/")));
        assert_eq!(forms("/a/*/c"), (s("/a/*/c"), s("/a/*/c/")));
    }

    #[test]
    fn root_matching_globs_keep_the_root_directory() {
        assert_eq!(forms("/**"), (s("/**[^/]"), s("/{,**[^/]/}")));
        assert_eq!(forms("/*"), (s("/*[^/]"), s("/{,*[^/]/}")));
        assert_eq!(forms("{/,/a}"), (s("/a"), s("/{,a/}")));
    }

    #[test]
    fn groups_are_translated_and_single_alternatives_inlined() {
        assert_eq!(forms("/a/{b,c}"), (s("/a/{b,c}"), s("/a/{b,c}/")));
        assert_eq!(forms("/a/{b}"), (s("/a/b"), s("/a/b/")));
        assert_eq!(forms("/a/{b,}c"), (s("/a/{,b}c"), s("/a/{,b}c/")));
        assert_eq!(forms("/a/x{b,}"), (s("/a/x{,b}"), s("/a/x{,b}/")));
        // Adjacent stars must not merge into `**`.
        assert_eq!(forms("/a/x*{*}y"), (s("/a/x*y"), s("/a/x*y/")));
        assert_eq!(forms("/a/x*{**}y"), (s("/a/x**y"), s("/a/x**y/")));
    }

    #[test]
    fn quest_is_one_utf8_character() {
        let (f, _) = forms("/a?");
        assert_eq!(f.unwrap(), format!("/a{}", QUEST));
    }

    #[test]
    fn specials_are_escaped() {
        assert_eq!(
            literal_path(r#"/a*b?c[d]e{f}g,h^i"j\k l#m$n"#).unwrap(),
            r#"/a\*b\?c\[d\]e\{f\}g\,h\^i\x22j\x5ck l#m$n"#
        );
        assert_eq!(forms("/a@{b,c}").0, s("/a[@]{b,c}"));
        assert_eq!(forms("/a@b").0, s("/a@b"));
        assert_eq!(forms("/a@?").0.unwrap(), format!("/a[@]{}", QUEST));
    }

    #[test]
    fn unsafe_texts_are_refused() {
        for g in [
            "a", "{a,/b}", "/a\nb", "/a\0", "/a//b", "/a/***", "/a/{b", "/a/b}", "/a/{/b}", "/a/",
            "/a\u{7f}",
        ] {
            assert!(glob_forms(g).is_err(), "{g:?} accepted");
        }
        // C1 controls are ordinary characters to the glob module, and safe in quotes.
        assert_eq!(glob_forms("/a\u{85}").unwrap().file.unwrap(), "/a\u{85}");
        assert!(literal_path("/a/").is_err());
    }

    #[test]
    fn classes_become_byte_classes() {
        assert_eq!(forms("/x[0-9]").0, s("/x[\\x30-\\x39]"));
        assert_eq!(forms("/x[]a-]").0, s("/x[-\\x61\\]]"));
        assert_eq!(forms("/x[[]").0, s("/x\\["));
        assert_eq!(forms("/x[-^]").0, s("/x[-\\^]"));
        assert_eq!(
            forms("/x[+-^]").0,
            s("/x[-\\x2b\\x2e\\x30-\\x5b,\\]\\\\\\^]")
        );
        // A negated class holds every non-ASCII character: `?`'s UTF-8 sequences.
        let neg = forms("/x[^a]").0.unwrap();
        assert!(
            neg.starts_with(
                "/x{[-\\x01-\\x2b\\x2e\\x30-\\x5b\\x5f-\\x60\\x62-\\x7f,\\]\\\\\\^],[\\xc2-\\xdf]"
            ),
            "{neg}"
        );
        // `@` before a class group is escaped like before a brace group.
        assert!(forms("/@[^a]").0.unwrap().starts_with("/[@]{"));
        // Some but not all non-ASCII characters: refused.
        assert!(glob_forms("/x[é]").is_err());
        assert!(glob_forms("/x[^é]").is_err());
        assert!(glob_forms("/x[a").is_err());
    }

    #[test]
    fn repetition_is_bounded() {
        let f = glob_forms("/p/[0-9]+").unwrap();
        assert!(f.repeat);
        let file = f.file.unwrap();
        assert_eq!(file.matches("[\\x30-\\x39]").count(), MAX_REPEAT);
        assert!(!glob_forms("/p/[0-9]").unwrap().repeat);
    }

    /// The general construction alone, for comparison with [`glob_forms`].
    fn general(g: &str) -> Result<Forms, Refusal> {
        parse(g).and_then(|seq| general_forms(&seq))
    }

    #[test]
    fn direct_forms_of_the_common_shapes() {
        for g in [
            "/etc/passwd",
            "/a/**",
            "/a/*",
            "/a/*/c",
            "/a/**/c,d",
            "/x/@/**",
            "/a/{b,c}/**",
            "/a/[0-9]+/x",
            "/a?/*",
            "{/a,/b}/*",
            "{/,/a}/**",
            "{/,}/**",
            "{/a,b}/c",
            "/a/b*",
            "/**",
            "/*",
            "/",
            "/a/***",
            "/a//b/*",
            "/a/",
            "/x[é]/**",
        ] {
            assert_eq!(glob_forms(g), general(g), "{g}");
        }
        // Which globs take the direct routes.
        assert!(plain_forms("/a/**").is_some());
        assert!(plain_forms("/a/b").is_some());
        assert!(plain_forms("/**").is_none());
        assert!(plain_forms("/a/b*").is_none());
        assert!(common_forms(&parse("/a/{b,c}/*").unwrap())
            .unwrap()
            .is_some());
        assert!(common_forms(&parse("{/,}/**").unwrap()).unwrap().is_none());
    }

    fn piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        const PIECES: &[&str] = &[
            "/",
            "/",
            "/",
            "*",
            "**",
            "?",
            "{a,b}",
            "{a/,}",
            "{,/x}",
            "{/,/a}",
            "{a,{b,c*}}",
            "{**,x}",
            "{/x}",
            "[0-9]",
            "[0-9]+",
            "[^a]",
            "[]-]",
            "[é]",
            "@",
            ",",
            "^",
            "]",
            "\"",
            "\\",
            "é",
            "}",
            "{",
        ];
        prop_oneof![
            3 => "[a-c.]{1,3}",
            2 => proptest::sample::select(PIECES).prop_map(str::to_string),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The direct forms equal the general construction, refusals included.
        #[test]
        fn direct_forms_equal_the_general_construction(
            head in proptest::sample::select(vec!["/", "/", "/", "{/a,/b}/", "{/,/a/}", ""]),
            pieces in proptest::collection::vec(piece(), 0..8),
        ) {
            let g = format!("{head}{}", pieces.concat());
            proptest::prop_assert_eq!(glob_forms(&g), general(&g), "{}", g);
        }
    }

    #[test]
    fn matcher_agrees_on_small_cases() {
        let p = |g: &str, path: &str| {
            let seq = parse(g).unwrap();
            let cs: Vec<char> = path.chars().collect();
            ends(&seq, &cs, 0).contains(&cs.len())
        };
        assert!(p("/a/*", "/a/b"));
        assert!(!p("/a/*", "/a/b/c"));
        assert!(p("/a/**", "/a/b/c"));
        assert!(p("/a/?", "/a/é"));
        assert!(p("/{a,b/c}", "/b/c"));
        assert!(p("/**", "/"));
        assert!(!p("/a/**", "/a"));
        assert!(p("/a/[0-9]+", "/a/123"));
        assert!(!p("/a/[0-9]+", "/a/"));
        assert!(!p("/a/[^0-9]", "/a/1"));
    }
}
