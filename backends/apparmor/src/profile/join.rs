//! Lines joined by their head: `"/home/*/.aws/" rw,` and `"/root/.aws/" rw,` become
//! `"/{home/*,root}/.aws/" rw,`; then by a middle component ([`join_middles`]):
//! `"/usr/share/icons/{,**}" r,` and `"/usr/share/pixmaps/{,**}" r,` become
//! `"/usr/share/{icons,pixmaps}/{,**}" r,`.
//!
//! The components all the heads start with are written before the group
//! (`"/file/{create,delete}/"`).
//!
//! A profile translated from the usual AppArmor abstractions holds many lines that differ
//! only in their first components (the values of `@{HOME}`, `/run` and `/var/run`,
//! `/usr/lib` and `/lib`, the eight-component `/var/lib/flatpak/app/*/*/*/*/export` of
//! `@{system_share_dirs}`). Written as one line with a group of heads and the shared
//! rest, `apparmor_parser` builds the same automaton with less work: 22-31 % fewer
//! instructions for the profiles of `tests/real-profiles` with heads of two components,
//! 2-10 % fewer again with eight, and a fifth of the time for the 10,000-rule bench,
//! whose rules differ in their third component (see `docs/backends/apparmor.md`).
//!
//! The joined pattern matches exactly the union of the lines' patterns on valid paths.
//! Each head is literal text, `*` and `**` (no group, class or `?`, so no `,` or brace inside
//! the group), starts with neither a wildcard nor `/`, and the rest starts with `/`: the
//! rest's wildcards keep what precedes them, and so their meaning. AppArmor makes a `*`
//! written right after a `/` and before a `/` or the end match at least one byte; a
//! head's `*` that was so placed in its line may, in the group, follow the group's `{`
//! or precede its `,` or `}`, and then match none: the difference is only strings with
//! an empty component (`/home//x`), which are not paths.

use super::{FileLine, LineKey, Lines, Transition};
use crate::aare;
use crate::files::Letters;
use polc_lang::hash::FastMap;

/// The most components a head may have: enough for the longest variable values of the
/// usual abstractions (`/var/lib/flatpak/app/*/*/*/*/export` for `@{system_share_dirs}`).
const MAX_HEAD: usize = 8;

/// What lines must share to be joined: the qualifiers (deny, audit, owner), the letters,
/// the transition and the rest of the pattern after the head.
type JoinKey<'a> = (bool, bool, bool, Letters, Option<&'a Transition>, &'a str);

/// The join key of a line split at `at`.
fn key((k, l): &(LineKey, FileLine), at: usize) -> JoinKey<'_> {
    let rest = k.3.get(at..).unwrap_or_default();
    (k.0, k.1, k.2, l.letters, l.transition.as_ref(), rest)
}

/// The places where a pattern may be split into a head (after its first `/`) and a rest
/// (from the `/` that ends one of the head's first [`MAX_HEAD`] components), longest
/// rest first; `0` for none. One pass over the bytes: a head ends before the first
/// group, class, `?` or escape.
fn splits(pattern: &str) -> [usize; MAX_HEAD] {
    let mut out = [0; MAX_HEAD];
    let b = pattern.as_bytes();
    if b.first() != Some(&b'/') || matches!(b.get(1), None | Some(b'*' | b'?' | b'[' | b'{' | b'/'))
    {
        return out;
    }
    let mut slots = out.iter_mut();
    for (i, c) in b.iter().enumerate().skip(1) {
        match c {
            b'{' | b'}' | b',' | b'[' | b'?' | b'\\' => break,
            b'/' => match slots.next() {
                Some(slot) => *slot = i,
                None => break,
            },
            _ => {}
        }
    }
    out
}

/// The lines, those whose patterns differ only in their head joined (see the module
/// documentation). Each line goes to the longest rest another line shares with it, so
/// the result does not depend on the order of the lines.
pub(super) fn join_heads(lines: Lines) -> Vec<(LineKey, FileLine)> {
    const NONE: usize = usize::MAX;
    let lines: Vec<(LineKey, FileLine)> = lines.into_iter().collect();
    // Each distinct join key gets a number; a line knows the numbers of its splits.
    let mut ids: FastMap<JoinKey<'_>, usize> =
        FastMap::with_capacity_and_hasher(lines.len() * MAX_HEAD, Default::default());
    let mut counts: Vec<usize> = Vec::new();
    let mut keys: Vec<[usize; MAX_HEAD]> = Vec::with_capacity(lines.len());
    for line in &lines {
        let mut mine = [NONE; MAX_HEAD];
        for (slot, &at) in mine.iter_mut().zip(&splits(&line.0 .3)) {
            if at == 0 {
                break;
            }
            let id = *ids.entry(key(line, at)).or_insert_with(|| {
                counts.push(0);
                counts.len() - 1
            });
            if let Some(c) = counts.get_mut(id) {
                *c += 1;
            }
            *slot = id;
        }
        keys.push(mine);
    }
    // The members of each key, a line in the first of its keys another line shares,
    // with where the first member's rest starts.
    let mut members: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); counts.len()];
    for (n, (mine, line)) in keys.iter().zip(&lines).enumerate() {
        let best = mine
            .iter()
            .zip(splits(&line.0 .3))
            .find(|(id, _)| counts.get(**id).is_some_and(|c| *c > 1));
        if let Some((&id, at)) = best {
            if let Some((start, m)) = members.get_mut(id) {
                if m.is_empty() {
                    *start = at;
                }
                m.push(n);
            }
        }
    }
    let mut joined: Vec<(LineKey, FileLine)> = Vec::new();
    let mut taken = vec![false; lines.len()];
    for (at, group) in members.iter().filter(|(_, m)| m.len() > 1) {
        let Some((first, line)) = group.first().and_then(|&n| lines.get(n)) else {
            continue;
        };
        let rest = first.3.get(*at..).unwrap_or_default();
        let mut heads: Vec<&str> = group
            .iter()
            .filter_map(|&n| lines.get(n))
            .map(|(lk, _)| {
                lk.3.get(1..lk.3.len().saturating_sub(rest.len()))
                    .unwrap_or_default()
            })
            .collect();
        heads.sort_unstable();
        // The components all the heads start with stay out of the group.
        let (first_head, last_head) = (heads.first(), heads.last());
        let common = match (first_head, last_head) {
            (Some(a), Some(b)) => a
                .char_indices()
                .zip(b.chars())
                .take_while(|((_, x), y)| x == y)
                .filter(|((_, x), _)| *x == '/')
                .last()
                .map_or(0, |((i, _), _)| i + 1),
            _ => 0,
        };
        let outside = heads.first().and_then(|h| h.get(..common)).unwrap_or("");
        let inside: Vec<&str> = heads
            .iter()
            .map(|h| h.get(common..).unwrap_or_default())
            .collect();
        let pattern = format!("/{outside}{{{}}}{rest}", inside.join(","));
        if aare::check_length(&pattern).is_err() {
            continue;
        }
        joined.push((
            (first.0, first.1, first.2, pattern),
            FileLine {
                letters: line.letters,
                transition: line.transition.clone(),
            },
        ));
        for &n in group {
            if let Some(t) = taken.get_mut(n) {
                *t = true;
            }
        }
    }
    let mut out: Vec<(LineKey, FileLine)> = joined;
    out.extend(
        lines
            .into_iter()
            .zip(taken)
            .filter(|(_, t)| !t)
            .map(|(l, _)| l),
    );
    out
}

/// The bytes of a pattern that are its syntax, with their positions: those outside
/// classes and not escaped (a class's `[` and `]` and an escaping `\` are read here,
/// not given). The one reading of escapes and classes [`separators`], [`alternatives`]
/// and [`depth`] share.
struct Syntax<'a> {
    bytes: std::iter::Enumerate<std::slice::Iter<'a, u8>>,
    class: bool,
    escaped: bool,
}

impl<'a> Syntax<'a> {
    fn of(pattern: &'a str) -> Syntax<'a> {
        Syntax {
            bytes: pattern.as_bytes().iter().enumerate(),
            class: false,
            escaped: false,
        }
    }

    /// Whether every class and escape read so far is closed.
    fn closed(&self) -> bool {
        !self.class && !self.escaped
    }
}

impl Iterator for Syntax<'_> {
    type Item = (usize, u8);

    fn next(&mut self) -> Option<(usize, u8)> {
        for (i, &c) in self.bytes.by_ref() {
            if self.escaped {
                self.escaped = false;
                continue;
            }
            match c {
                b'\\' => self.escaped = true,
                b'[' if !self.class => self.class = true,
                b']' if self.class => self.class = false,
                _ if self.class => {}
                _ => return Some((i, c)),
            }
        }
        None
    }
}

/// The positions of the `/` that separate a pattern's components: outside groups and
/// classes and not escaped, the first one the pattern's own leading `/`. `None` when the
/// pattern does not start with `/` or its groups and classes do not close.
fn separators(pattern: &str) -> Option<Vec<usize>> {
    if !pattern.starts_with('/') {
        return None;
    }
    let mut out = Vec::with_capacity(16);
    let mut depth = 0usize;
    let mut syntax = Syntax::of(pattern);
    for (i, c) in syntax.by_ref() {
        match c {
            b'{' => depth += 1,
            b'}' => depth = depth.checked_sub(1)?,
            b'/' if depth == 0 => out.push(i),
            _ => {}
        }
    }
    (depth == 0 && syntax.closed()).then_some(out)
}

/// The alternatives of `x` when it is one group as a whole (`{a,b*}`: `a`, `b*`), else
/// `x` itself.
fn alternatives(x: &str) -> Vec<&str> {
    let b = x.as_bytes();
    if b.first() == Some(&b'{') && b.last() == Some(&b'}') {
        let mut cuts = vec![0];
        let mut depth = 0usize;
        for (i, c) in Syntax::of(x) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    // The first group closes before the end: `{a}x{b}` is not one group.
                    if depth == 0 && i + 1 != b.len() {
                        return vec![x];
                    }
                }
                b',' if depth == 1 => cuts.push(i),
                _ => {}
            }
        }
        cuts.push(b.len() - 1);
        return cuts
            .windows(2)
            .filter_map(|w| match w {
                [a, b] => x.get(a + 1..*b),
                _ => None,
            })
            .collect();
    }
    vec![x]
}

/// The deepest nesting of groups in a pattern.
fn depth(pattern: &str) -> usize {
    let (mut d, mut max) = (0usize, 0usize);
    for (_, c) in Syntax::of(pattern) {
        match c {
            b'{' => {
                d += 1;
                max = max.max(d);
            }
            b'}' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// What lines must share to be joined by a span: the qualifiers (deny, audit, owner), the
/// letters, the transition, and the pattern before the span (up to its `/`) and after it
/// (from its `/`).
type SpanKey<'a> = (
    bool,
    bool,
    bool,
    Letters,
    Option<&'a Transition>,
    &'a str,
    &'a str,
);

/// The components of a pattern with separators `s` that [`join_middles`] may put in a
/// group, as (the component, the one after it): any but the last, and none empty.
fn spans(s: &[usize]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let last = s.len().saturating_sub(1);
    (0..last)
        .map(|a| (a, a + 1))
        .filter(move |&(a, b)| matches!((s.get(a), s.get(b)), (Some(&x), Some(&y)) if y > x + 1))
}

/// The key of a line (with separators `s`) for the span from component `a` to `b`.
fn span_key<'a>(
    (k, l): &'a (LineKey, FileLine),
    s: &[usize],
    (a, b): (usize, usize),
) -> SpanKey<'a> {
    let (x, y) = (
        s.get(a).copied().unwrap_or(0),
        s.get(b).copied().unwrap_or(0),
    );
    let before = k.3.get(..=x).unwrap_or_default();
    let after = k.3.get(y..).unwrap_or_default();
    (
        k.0,
        k.1,
        k.2,
        l.letters,
        l.transition.as_ref(),
        before,
        after,
    )
}

/// The lines, those that differ in one component but the last, groups included
/// (`"/{usr,usr/local}/share/{applications,icons}/{,**}"`), joined; again on the joined
/// lines until no line joins, so lines that differ in two components join as their cross
/// product. Run after [`join_heads`], which has joined the lines that differ in plain
/// heads of several components. Joining lines by heads of several components with groups
/// too (`{usr,var/lib/flatpak/{app,runtime}/*/*/*/*/export}`) made most lines of a mode
/// one long alternation, and `apparmor_parser` slower (3.08 billion instructions on
/// usr.bin.totem's profile instead of 2.91).
///
/// Lines that execute stay apart: AppArmor lets a line without wildcards or groups decide
/// the exec transition of its path over a pattern's, and a joined line is a pattern.
///
/// The joined pattern `P{X1,X2}S` matches exactly the union of `PX1S` and `PX2S` on valid
/// paths. `P` ends with a `/` and `S` starts with one, both outside any group or class, and
/// no `X` is empty or starts or ends with a `/` (each is whole components), so
/// `apparmor_parser`, which collapses a run of `/` in the pattern's text, finds none in
/// either, and each wildcard of `P`, `S` and inside `X` keeps the characters around it. A
/// `*` or `**` that starts an `X` after `P`'s `/` and runs to the `/` of `S` matches at
/// least one byte in the line; in the group it follows `{` or `,` and may match none: the
/// difference is strings with an empty component (`/a//b`), which are not paths. An `X`
/// that is one group as a whole gives its alternatives to the new group (the same
/// characters around each). AppArmor's alternation is a plain union.
pub(super) fn join_middles(mut lines: Vec<(LineKey, FileLine)>) -> Vec<(LineKey, FileLine)> {
    // AppArmor refuses groups nested 50 deep; far fewer keep the patterns readable.
    const MAX_DEPTH: usize = 8;
    loop {
        let seps: Vec<Option<Vec<usize>>> = lines
            .iter()
            .map(|(k, l)| {
                if l.letters.contains(Letters::X) {
                    None
                } else {
                    separators(&k.3)
                }
            })
            .collect();
        let mut counts: FastMap<SpanKey<'_>, usize> =
            FastMap::with_capacity_and_hasher(lines.len() * 8, Default::default());
        for (line, s) in lines.iter().zip(&seps) {
            let Some(s) = s else { continue };
            for span in spans(s) {
                *counts.entry(span_key(line, s, span)).or_insert(0) += 1;
            }
        }
        // Each line goes to the key most lines share with it, then to the one that leaves
        // the least between its head and rest: the choice depends on the lines, not on
        // their order.
        let mut groups: FastMap<SpanKey<'_>, Vec<usize>> = FastMap::default();
        for (n, (line, s)) in lines.iter().zip(&seps).enumerate() {
            let Some(s) = s else { continue };
            let best = spans(s)
                .map(|span| {
                    let k = span_key(line, s, span);
                    (
                        counts.get(&k).copied().unwrap_or(0),
                        k.5.len() + k.6.len(),
                        k.6.len(),
                        k,
                    )
                })
                .filter(|c| c.0 > 1)
                .max_by(|x, y| (x.0, x.1, x.2).cmp(&(y.0, y.1, y.2)));
            if let Some((_, _, _, k)) = best {
                groups.entry(k).or_default().push(n);
            }
        }
        let mut joined: Vec<(LineKey, FileLine)> = Vec::new();
        let mut taken = vec![false; lines.len()];
        for (k, members) in &groups {
            if members.len() < 2 {
                continue;
            }
            let (before, after) = (k.5, k.6);
            let mut alts: Vec<&str> = members
                .iter()
                .filter_map(|&n| lines.get(n))
                .flat_map(|(lk, _)| {
                    alternatives(
                        lk.3.get(before.len()..lk.3.len().saturating_sub(after.len()))
                            .unwrap_or_default(),
                    )
                })
                .collect();
            alts.sort_unstable();
            alts.dedup();
            let pattern = match alts.as_slice() {
                [one] => format!("{before}{one}{after}"),
                _ => format!("{before}{{{}}}{after}", alts.join(",")),
            };
            if aare::check_length(&pattern).is_err() || depth(&pattern) > MAX_DEPTH {
                continue;
            }
            let Some((first, line)) = members.first().and_then(|&n| lines.get(n)) else {
                continue;
            };
            joined.push((
                (first.0, first.1, first.2, pattern),
                FileLine {
                    letters: line.letters,
                    transition: line.transition.clone(),
                },
            ));
            for &n in members {
                if let Some(t) = taken.get_mut(n) {
                    *t = true;
                }
            }
        }
        if joined.is_empty() {
            return lines;
        }
        drop(groups);
        drop(counts);
        joined.extend(
            lines
                .into_iter()
                .zip(taken)
                .filter(|(_, t)| !t)
                .map(|(l, _)| l),
        );
        lines = joined;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn line(deny: bool, pattern: &str, letters: Letters) -> (LineKey, FileLine) {
        (
            (deny, false, false, pattern.to_string()),
            FileLine {
                letters,
                transition: None,
            },
        )
    }

    /// The (deny, pattern) of the lines `join` makes of `lines`, sorted.
    fn joined(
        join: impl FnOnce(Vec<(LineKey, FileLine)>) -> Vec<(LineKey, FileLine)>,
        lines: Vec<(LineKey, FileLine)>,
    ) -> Vec<(bool, String)> {
        let mut out: Vec<(bool, String)> =
            join(lines).into_iter().map(|(k, _)| (k.0, k.3)).collect();
        out.sort();
        out
    }

    fn heads(lines: Vec<(LineKey, FileLine)>) -> Vec<(LineKey, FileLine)> {
        join_heads(lines.into_iter().collect())
    }

    #[test]
    fn lines_differing_only_in_their_head_are_joined() {
        let r = Letters::R;
        let rw = Letters::R.union(Letters::W);
        let got = joined(
            heads,
            vec![
                line(false, "/home/*/.aws/", rw),
                line(false, "/root/.aws/", rw),
                line(false, "/run/app/sock", r),
                line(false, "/var/run/app/sock", r),
                // Other letters, another effect, a head with a group or a wildcard first:
                // each stays alone.
                line(false, "/srv/.aws/", r),
                line(true, "/tmp/.aws/", rw),
                line(false, "/{a,b}/.aws/", rw),
                line(false, "/*/x/.aws/", rw),
                line(false, "/file/create/", rw),
                line(false, "/file/delete/", rw),
            ],
        );
        let want: Vec<(bool, String)> = vec![
            (false, "/*/x/.aws/".into()),
            (false, "/file/{create,delete}/".into()),
            (false, "/srv/.aws/".into()),
            (false, "/{a,b}/.aws/".into()),
            (false, "/{home/*,root}/.aws/".into()),
            (false, "/{run,var/run}/app/sock".into()),
            (true, "/tmp/.aws/".into()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn lines_differing_in_middle_components_are_joined() {
        let r = Letters::R;
        let lines: Vec<(LineKey, FileLine)> = vec![
            line(false, "/usr/share/applications/{,**}", r),
            line(false, "/usr/share/icons/{,**}", r),
            line(false, "/usr/local/share/applications/{,**}", r),
            line(false, "/usr/local/share/icons/{,**}", r),
            line(false, "/{etc,usr}/a/x", r),
            line(false, "/{etc,usr}/{b,c}/x", r),
            // A group's `/` and `,`, a class and an escape are not separators.
            line(false, "/e/{f/g,h}/[^/]\\{", r),
            line(false, "/e/i/[^/]\\{", r),
            // Another effect, other letters, the last component: each stays alone.
            line(true, "/usr/share/mime/{,**}", r),
            line(false, "/usr/share/pixmaps/{,**}", Letters::W),
            line(false, "/srv/a", r),
            line(false, "/srv/b", r),
            // Lines that execute stay apart.
            line(false, "/bin/a/x", Letters::X),
            line(false, "/bin/b/x", Letters::X),
        ];
        let got = joined(join_middles, lines);
        let want: Vec<(bool, String)> = vec![
            (false, "/bin/a/x".into()),
            (false, "/bin/b/x".into()),
            (false, "/e/{f/g,h,i}/[^/]\\{".into()),
            (false, "/srv/a".into()),
            (false, "/srv/b".into()),
            (false, "/usr/local/share/{applications,icons}/{,**}".into()),
            (false, "/usr/share/pixmaps/{,**}".into()),
            (false, "/usr/share/{applications,icons}/{,**}".into()),
            (false, "/{etc,usr}/{a,b,c}/x".into()),
            (true, "/usr/share/mime/{,**}".into()),
        ];
        assert_eq!(got, want);
        assert_eq!(separators("/a/{b/c,[/]}/\\/d"), Some(vec![0, 2, 12]));
        assert_eq!(alternatives("{a,{b,c}}"), vec!["a", "{b,c}"]);
        assert_eq!(alternatives("{a}x{b}"), vec!["{a}x{b}"]);
    }
}
