//! Lines joined by their head: `"/home/*/.aws/" rw,` and `"/root/.aws/" rw,` become
//! `"/{home/*,root}/.aws/" rw,`.
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

    fn joined(lines: Vec<(LineKey, FileLine)>) -> Vec<(bool, String)> {
        let map: Lines = lines.into_iter().collect();
        let mut out: Vec<(bool, String)> = join_heads(map)
            .into_iter()
            .map(|(k, _)| (k.0, k.3))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn lines_differing_only_in_their_head_are_joined() {
        let r = Letters::R;
        let rw = Letters::R.union(Letters::W);
        let got = joined(vec![
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
        ]);
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
}
