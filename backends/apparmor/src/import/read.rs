//! The reader: statements → profiles, with includes, variables and every rule classified.

use super::lex::{self, End, Pos, Stmt};
use super::table::judge;
use super::{
    Child, Class, Entry, ImportError, ImportErrorKind, ImportOptions, Imported, IncludeRequest,
    Resolved, Resolver, MAX_EXPANSION, MAX_INCLUDE_DEPTH, MAX_RULES,
};
use polc_lang::ir::text::show;
use std::collections::{BTreeMap, BTreeSet};

/// Reads the profile file `name` (its text `text`) and imports one of its profiles.
pub fn import(
    name: &str,
    text: &str,
    resolver: &dyn Resolver,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    let stmts = lex::statements(name, text)?;
    let mut r = Reader {
        resolver,
        vars: BTreeMap::new(),
        profiles: Vec::new(),
        rules: 0,
        stack: vec![name.to_string()],
    };
    r.top(name, &stmts)?;
    let others: Vec<String> = r.profiles.iter().map(|p| p.source_name.clone()).collect();
    let pick = match &opts.profile {
        Some(want) => r
            .profiles
            .iter()
            .position(|p| &p.source_name == want || &p.name == want),
        None => (!r.profiles.is_empty()).then_some(0),
    };
    let Some(i) = pick else {
        let message = match &opts.profile {
            Some(want) => format!(
                "no profile `{want}` in `{name}` (it holds: {})",
                if others.is_empty() {
                    "none".to_string()
                } else {
                    others.join(", ")
                }
            ),
            None => format!("`{name}` holds no profile"),
        };
        return Err(ImportError::new(
            ImportErrorKind::NoProfile,
            name,
            Pos::default(),
            message,
        ));
    };
    let mut p = r.profiles.swap_remove(i);
    p.other_profiles = others.into_iter().filter(|o| *o != p.source_name).collect();
    limit_transitions(&mut p);
    Ok(p)
}

/// The most named exec targets one AppArmor profile may hold: `apparmor_parser` 3.0
/// refuses a profile with more ("too many specified profile transitions").
const MAX_NAMED_TRANSITIONS: usize = 12;

/// The target a polc statement names (`as NAME`, `as child NAME`, `as NAME else
/// inherit`), which the AppArmor backend writes as a named transition (`px -> NAME`).
fn named_target(statement: &str) -> Option<&str> {
    if !statement.starts_with("allow") && !statement.starts_with("audit allow") {
        return None;
    }
    let after_path = statement.rsplit_once('"').map_or(statement, |(_, t)| t);
    let rest = after_path.trim_start().strip_prefix("as ")?;
    let rest = rest.strip_prefix("child ").unwrap_or(rest);
    let name = rest.split_whitespace().next()?;
    (name != "unconfined").then_some(name)
}

/// Rules whose target would be the 13th named target of their profile (or child) are
/// not importable: the policy's AppArmor profile would be refused. AppArmor's `Px`
/// without a target finds it by attachment and takes no entry; polc names every target.
fn limit_transitions(p: &mut Imported) {
    let mut seen: BTreeMap<Option<String>, BTreeSet<String>> = BTreeMap::new();
    for e in &mut p.entries {
        if e.class == Class::NotImportable {
            continue;
        }
        let targets: Vec<String> = e
            .polc
            .iter()
            .filter_map(|l| named_target(l))
            .map(str::to_string)
            .collect();
        if targets.is_empty() {
            continue;
        }
        let known = seen.entry(e.child.clone()).or_default();
        let new: BTreeSet<&String> = targets.iter().filter(|t| !known.contains(*t)).collect();
        if known.len() + new.len() > MAX_NAMED_TRANSITIONS {
            e.constructs.push("exec-transition-limit");
            let (class, note) = judge(&e.constructs);
            e.class = class;
            e.note = note;
        } else {
            known.extend(targets);
        }
    }
}

pub(super) struct Reader<'r> {
    resolver: &'r dyn Resolver,
    vars: BTreeMap<String, Vec<String>>,
    profiles: Vec<Imported>,
    rules: usize,
    /// The files being read, outermost first (for cycles and depth).
    stack: Vec<String>,
}

/// Where rules go while a profile is read.
pub(super) struct Scope<'a> {
    pub(super) profile: &'a mut Imported,
    /// The child being read, if any.
    pub(super) child: Option<String>,
    /// The files already included in this profile or child (AppArmor includes a file
    /// once per profile, whatever the number of includes).
    included: BTreeSet<String>,
}

pub(super) fn err(kind: ImportErrorKind, file: &str, pos: Pos, message: String) -> ImportError {
    ImportError::new(kind, file, pos, message)
}

/// The statements of a block: from `start` (just after its header) to its `}`; returns the
/// index after the `}`.
fn block_end(file: &str, stmts: &[Stmt], start: usize, header: Pos) -> Result<usize, ImportError> {
    let mut depth = 1usize;
    let mut i = start;
    while let Some(s) = stmts.get(i) {
        match s.end {
            End::Open => depth += 1,
            End::Close => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err(err(
        ImportErrorKind::Syntax,
        file,
        header,
        "unclosed block: no `}` for this `{`".into(),
    ))
}

impl Reader<'_> {
    /// The top level of a file: includes, variables, profiles.
    fn top(&mut self, file: &str, stmts: &[Stmt]) -> Result<(), ImportError> {
        let mut i = 0;
        while let Some(s) = stmts.get(i) {
            i += 1;
            match s.end {
                End::Close => {
                    return Err(err(
                        ImportErrorKind::Syntax,
                        file,
                        s.pos,
                        "unexpected `}`".into(),
                    ))
                }
                End::Open => {
                    let end = block_end(file, stmts, i, s.pos)?;
                    let body = stmts.get(i..end.saturating_sub(1)).unwrap_or_default();
                    i = end;
                    if first(s) == Some("if") {
                        continue;
                    }
                    let header = self.header(file, s)?;
                    let mut prof = Imported {
                        source_name: header.name.clone(),
                        name: polc_name(&header.name),
                        entries: Vec::new(),
                        children: Vec::new(),
                        other_profiles: Vec::new(),
                    };
                    let mut ids = vec!["profile-name"];
                    let mut polc = Vec::new();
                    if let Some(att) = &header.attach {
                        let (one, exact) = first_alternative(att);
                        ids.push(if exact { "attach" } else { "attach-glob" });
                        if !one.contains(['[', '*', '?']) {
                            polc.push(format!("attach {}", quote(&one)));
                        } else {
                            ids.push("char-class");
                        }
                    }
                    let mut other_flags = false;
                    for f in &header.flags {
                        match f.as_str() {
                            "complain" => {
                                ids.push("flags-complain");
                                polc.push("mode complain".into());
                            }
                            "enforce" => {}
                            _ => other_flags = true,
                        }
                    }
                    push_entry(&mut prof, file, s, ids, polc, None);
                    // The other flags are judged apart, so that the mode (and the name
                    // and attachment) import even when a flag does not: a complain
                    // profile must not become an enforcing policy.
                    if other_flags {
                        push_entry(&mut prof, file, s, vec!["flags-other"], Vec::new(), None);
                    }
                    let mut scope = Scope {
                        profile: &mut prof,
                        child: None,
                        included: BTreeSet::new(),
                    };
                    self.body(file, body, &mut scope)?;
                    self.profiles.push(prof);
                }
                End::Comma | End::Line | End::Eof => self.directive(file, s, None)?,
            }
        }
        Ok(())
    }

    /// A statement outside a profile: include, variable, abi, alias. Inside a profile
    /// (`scope`), includes are expanded into it.
    fn directive(
        &mut self,
        file: &str,
        s: &Stmt,
        scope: Option<&mut Scope<'_>>,
    ) -> Result<(), ImportError> {
        match first(s) {
            Some("include") => self.include(file, s, scope),
            Some(w)
                if (w.starts_with("@{") || w.starts_with("${"))
                    && s.end != End::Comma
                    && s.words.iter().any(|w| w.text.contains('=')) =>
            {
                self.assign(file, s)
            }
            Some("abi") => Ok(()),
            Some("alias") => {
                if let Some(scope) = scope {
                    push_entry(
                        scope.profile,
                        file,
                        s,
                        vec!["alias"],
                        Vec::new(),
                        scope.child.clone(),
                    );
                }
                Ok(())
            }
            None => Ok(()),
            Some(w) => match scope {
                Some(scope) => self.rule(file, s, scope),
                None => Err(err(
                    ImportErrorKind::Syntax,
                    file,
                    s.pos,
                    format!("unexpected `{w}` outside a profile"),
                )),
            },
        }
    }

    fn include(
        &mut self,
        file: &str,
        s: &Stmt,
        scope: Option<&mut Scope<'_>>,
    ) -> Result<(), ImportError> {
        let mut words = s.words.iter().skip(1).map(|w| w.text.as_str());
        let mut target = words.next();
        let optional = target == Some("if");
        if optional {
            if words.next() != Some("exists") {
                return Err(err(
                    ImportErrorKind::Syntax,
                    file,
                    s.pos,
                    "expected `include if exists <NAME>`".into(),
                ));
            }
            target = words.next();
        }
        let Some(t) = target else {
            return Err(err(
                ImportErrorKind::Syntax,
                file,
                s.pos,
                "expected a name after `include`".into(),
            ));
        };
        let (name, search) = if let Some(n) = t.strip_prefix('<').and_then(|t| t.strip_suffix('>'))
        {
            (n, true)
        } else if let Some(n) = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            (n, false)
        } else {
            (t, false)
        };
        self.include_name(file, s.pos, name, search, optional, scope)
    }

    fn include_name(
        &mut self,
        file: &str,
        pos: Pos,
        name: &str,
        search: bool,
        optional: bool,
        scope: Option<&mut Scope<'_>>,
    ) -> Result<(), ImportError> {
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            return Err(err(
                ImportErrorKind::IncludeCycle,
                file,
                pos,
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} at `{name}`"),
            ));
        }
        let req = IncludeRequest {
            name,
            search,
            from: file,
        };
        match self.resolver.resolve(&req) {
            Resolved::Missing if optional => Ok(()),
            Resolved::Missing => Err(err(
                ImportErrorKind::IncludeNotFound,
                file,
                pos,
                format!("cannot find the include `{name}`"),
            )),
            Resolved::Dir(names) => {
                let mut scope = scope;
                for n in names {
                    let joined = format!("{}/{n}", name.trim_end_matches('/'));
                    self.include_name(file, pos, &joined, search, optional, scope.as_deref_mut())?;
                }
                Ok(())
            }
            Resolved::File { name: shown, text } => {
                if self.stack.contains(&shown) {
                    return Err(err(
                        ImportErrorKind::IncludeCycle,
                        file,
                        pos,
                        format!("`{shown}` includes itself"),
                    ));
                }
                let stmts = lex::statements(&shown, &text)?;
                match scope {
                    Some(scope) => {
                        if !scope.included.insert(shown.clone()) {
                            return Ok(());
                        }
                        self.stack.push(shown.clone());
                        let r = self.body(&shown, &stmts, scope);
                        self.stack.pop();
                        r
                    }
                    None => {
                        self.stack.push(shown.clone());
                        let r = self.top(&shown, &stmts);
                        self.stack.pop();
                        r
                    }
                }
            }
        }
    }

    /// `@{NAME} = a b`, `@{NAME} += c` (and `${BOOL} = true`, ignored).
    fn assign(&mut self, file: &str, s: &Stmt) -> Result<(), ImportError> {
        let text = s
            .words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        if text.starts_with("${") {
            return Ok(());
        }
        let Some((lhs, rhs)) = text.split_once('=') else {
            return Err(err(
                ImportErrorKind::Syntax,
                file,
                s.pos,
                format!("expected `=` in `{text}`"),
            ));
        };
        let (lhs, add) = match lhs.trim().strip_suffix('+') {
            Some(l) => (l.trim(), true),
            None => (lhs.trim(), false),
        };
        let Some(var) = lhs.strip_prefix("@{").and_then(|l| l.strip_suffix('}')) else {
            return Err(err(
                ImportErrorKind::Syntax,
                file,
                s.pos,
                format!("expected `@{{NAME}}` before `=`, found `{lhs}`"),
            ));
        };
        let values: Vec<String> = rhs
            .split_whitespace()
            .map(|v| v.trim_matches('"').to_string())
            .collect();
        let slot = self.vars.entry(var.to_string()).or_default();
        if !add {
            slot.clear();
        }
        slot.extend(values);
        Ok(())
    }

    /// The statements of a profile or child body.
    fn body(
        &mut self,
        file: &str,
        stmts: &[Stmt],
        scope: &mut Scope<'_>,
    ) -> Result<(), ImportError> {
        let mut i = 0;
        while let Some(s) = stmts.get(i) {
            i += 1;
            match s.end {
                End::Close => {
                    return Err(err(
                        ImportErrorKind::Syntax,
                        file,
                        s.pos,
                        "unexpected `}`".into(),
                    ))
                }
                End::Open => {
                    let end = block_end(file, stmts, i, s.pos)?;
                    let body = stmts.get(i..end.saturating_sub(1)).unwrap_or_default();
                    i = end;
                    if first(s) == Some("if") {
                        push_entry(
                            scope.profile,
                            file,
                            s,
                            vec!["conditional"],
                            Vec::new(),
                            scope.child.clone(),
                        );
                        continue;
                    }
                    let header = self.header(file, s)?;
                    let hat = header.hat;
                    let cname = polc_name(header.name.trim_start_matches('^'));
                    scope.profile.children.push(Child {
                        source_name: header.name.clone(),
                        name: cname.clone(),
                        hat,
                    });
                    let kw = if hat { "hat" } else { "child" };
                    push_entry(
                        scope.profile,
                        file,
                        s,
                        vec!["child-profile"],
                        vec![format!("{kw} {cname} {{ }}")],
                        Some(cname.clone()),
                    );
                    let mut inner = Scope {
                        profile: &mut *scope.profile,
                        child: Some(cname),
                        included: BTreeSet::new(),
                    };
                    self.body(file, body, &mut inner)?;
                }
                End::Comma | End::Line | End::Eof => self.directive(file, s, Some(&mut *scope))?,
            }
        }
        Ok(())
    }

    /// A profile or hat header.
    fn header(&self, file: &str, s: &Stmt) -> Result<Header, ImportError> {
        let mut words: Vec<&str> = s.words.iter().map(|w| w.text.as_str()).collect();
        let mut flags = Vec::new();
        words.retain(|w| {
            if let Some(f) = w.strip_prefix("flags=") {
                let f = f.trim_start_matches('(').trim_end_matches(')');
                flags.extend(
                    f.split([',', ' '])
                        .filter(|x| !x.is_empty())
                        .map(str::to_string),
                );
                false
            } else {
                !w.starts_with("xattrs=")
            }
        });
        let (name, attach, hat) = match words.as_slice() {
            ["profile", name] => (unquote(name), None, false),
            ["profile", name, attach] => (unquote(name), Some(unquote(attach)), false),
            ["hat", name] => (format!("^{}", unquote(name)), None, true),
            [name] if name.starts_with('^') => (unquote(name), None, true),
            [attach] if attach.starts_with(['/', '@', '"']) => {
                (unquote(attach), Some(unquote(attach)), false)
            }
            _ => {
                return Err(err(
                    ImportErrorKind::Syntax,
                    file,
                    s.pos,
                    format!("expected a profile header, found `{}`", show(&s.text())),
                ))
            }
        };
        let attach = match attach {
            Some(a) => Some(self.expand_one(file, s.pos, &a)?),
            None => None,
        };
        Ok(Header {
            name,
            attach,
            flags,
            hat,
        })
    }

    /// A word with its variables replaced by each of their values (the cartesian product),
    /// `//` collapsed in paths.
    pub(super) fn expand(
        &self,
        file: &str,
        pos: Pos,
        word: &str,
        profile: &str,
    ) -> Result<Vec<String>, ImportError> {
        let mut out = Vec::new();
        self.expand_into(file, pos, word, profile, 0, &mut out)
            .map_err(|mut e| {
                if e.kind == ImportErrorKind::TooLarge {
                    e.message = format!(
                        "`{word}` expands to more than {MAX_EXPANSION} paths, or its variables nest deeper than 16"
                    );
                }
                e
            })?;
        Ok(out
            .into_iter()
            .map(|p| {
                if p.starts_with('/') {
                    collapse_slashes(&p)
                } else {
                    p
                }
            })
            .collect())
    }

    pub(super) fn expand_one(
        &self,
        file: &str,
        pos: Pos,
        word: &str,
    ) -> Result<String, ImportError> {
        Ok(self
            .expand(file, pos, word, "")?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    fn expand_into(
        &self,
        file: &str,
        pos: Pos,
        word: &str,
        profile: &str,
        depth: usize,
        out: &mut Vec<String>,
    ) -> Result<(), ImportError> {
        let Some(at) = word.find("@{") else {
            out.push(word.to_string());
            return Ok(());
        };
        let (head, rest) = word.split_at(at);
        let Some(close) = rest.find('}') else {
            return Err(err(
                ImportErrorKind::Syntax,
                file,
                pos,
                format!("unclosed `@{{` in `{word}`"),
            ));
        };
        let var = rest.get(2..close).unwrap_or_default();
        let tail = rest.get(close + 1..).unwrap_or_default();
        let values: Vec<String> = if var == "profile_name" {
            vec![profile.to_string()]
        } else {
            match self.vars.get(var) {
                Some(v) => v.clone(),
                None => {
                    return Err(err(
                        ImportErrorKind::UnknownVariable,
                        file,
                        pos,
                        format!("unknown variable `@{{{var}}}`"),
                    ))
                }
            }
        };
        if depth > 16 {
            return Err(err(
                ImportErrorKind::TooLarge,
                file,
                pos,
                format!("variables nest deeper than 16 in `{word}`"),
            ));
        }
        for v in values {
            let joined = format!("{head}{v}{tail}");
            self.expand_into(file, pos, &joined, profile, depth + 1, out)?;
            if out.len() > MAX_EXPANSION {
                return Err(err(
                    ImportErrorKind::TooLarge,
                    file,
                    pos,
                    format!("`{word}` expands to more than {MAX_EXPANSION} paths"),
                ));
            }
        }
        Ok(())
    }

    /// One rule of a profile or child.
    fn rule(&mut self, file: &str, s: &Stmt, scope: &mut Scope<'_>) -> Result<(), ImportError> {
        self.rules += 1;
        if self.rules > MAX_RULES {
            return Err(err(
                ImportErrorKind::TooLarge,
                file,
                s.pos,
                format!("more than {MAX_RULES} rules, includes expanded"),
            ));
        }
        if s.end != End::Comma {
            return Err(err(
                ImportErrorKind::Syntax,
                file,
                s.pos,
                format!("expected `,` at the end of `{}`", show(&s.text())),
            ));
        }
        let own = scope.profile.source_name.clone();
        let (ids, polc) = self.classify(file, s, &own)?;
        let mut ids = ids;
        if scope.child.is_some() {
            ids.push("child-profile");
        }
        push_entry(scope.profile, file, s, ids, polc, scope.child.clone());
        Ok(())
    }
}

struct Header {
    name: String,
    attach: Option<String>,
    flags: Vec<String>,
    hat: bool,
}

pub(super) fn first(s: &Stmt) -> Option<&str> {
    s.words.first().map(|w| w.text.as_str())
}

pub(super) fn is_path(w: &str) -> bool {
    w.starts_with(['/', '@']) || w.starts_with("\"/") || w.starts_with("\"@")
}

pub(super) fn unquote(s: &str) -> String {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .to_string()
}

pub(super) use polc_lang::ir::text::quote;

pub(super) fn collapse_slashes(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for c in p.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// The first alternative of every `{...}` of a glob, and whether the glob was a single
/// literal path (no alternation, no wildcard).
pub(crate) fn first_alternative(glob: &str) -> (String, bool) {
    let mut out = String::new();
    let mut exact = true;
    // Depth of braces, and whether the current alternative is the first at each depth.
    let mut stack: Vec<bool> = Vec::new();
    for c in glob.chars() {
        let keep = stack.iter().all(|first| *first);
        match c {
            '{' => {
                exact = false;
                stack.push(true);
            }
            ',' if !stack.is_empty() => {
                if let Some(top) = stack.last_mut() {
                    *top = false;
                }
            }
            '}' if !stack.is_empty() => {
                stack.pop();
            }
            '*' | '?' | '[' => {
                exact = false;
                if keep {
                    out.push(c);
                }
            }
            _ => {
                if keep {
                    out.push(c);
                }
            }
        }
    }
    (collapse_slashes(&out), exact)
}

/// A polc policy name for an AppArmor profile name: the path's components (or the name)
/// as dot-separated labels of `[a-z0-9-]`, the first alternative of each `{...}`.
pub fn polc_name(name: &str) -> String {
    let (plain, _) = first_alternative(name.trim_start_matches('^'));
    let mut labels: Vec<String> = Vec::new();
    for part in plain.split(['/', '.']) {
        let mut l = String::new();
        for c in part.chars() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                l.push(c);
            } else if !l.is_empty() && !l.ends_with('-') {
                l.push('-');
            }
        }
        let l = l.trim_end_matches('-').to_string();
        if l.is_empty() {
            continue;
        }
        if l.starts_with(|c: char| c.is_ascii_digit()) {
            labels.push(format!("p{l}"));
        } else {
            labels.push(l);
        }
    }
    let mut out = labels.join(".");
    if out.is_empty() {
        out = "imported".into();
    }
    while out.len() > 100 {
        match out.rfind('.') {
            Some(i) => out.truncate(i),
            None => out.truncate(100),
        }
    }
    // A keyword of the language, or a reserved peer name, is not a policy name.
    if polc_lang::ir::PolicyName::new(&out).is_ok_and(|n| n.is_reserved()) {
        out = format!("imported.{out}");
    }
    out
}

fn push_entry(
    p: &mut Imported,
    file: &str,
    s: &Stmt,
    ids: Vec<&'static str>,
    polc: Vec<String>,
    child: Option<String>,
) {
    let (class, note) = judge(&ids);
    p.entries.push(Entry {
        file: file.to_string(),
        line: s.pos.line,
        column: s.pos.col,
        source: s.text(),
        constructs: ids,
        class,
        note,
        polc,
        child,
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::import::Class;

    struct NoFiles;
    impl Resolver for NoFiles {
        fn resolve(&self, _: &IncludeRequest<'_>) -> Resolved {
            Resolved::Missing
        }
    }

    fn one(src: &str) -> Imported {
        import("t", src, &NoFiles, &ImportOptions::default()).unwrap()
    }

    #[test]
    fn names() {
        assert_eq!(polc_name("/usr/sbin/sshd"), "usr.sbin.sshd");
        assert_eq!(polc_name("/{usr/,}bin/{,iputils-}ping"), "usr.bin.ping");
        assert_eq!(polc_name("httpd2-prefork"), "httpd2-prefork");
        assert_eq!(
            polc_name("^HANDLING_UNTRUSTED_INPUT"),
            "handling-untrusted-input"
        );
        assert_eq!(
            polc_name("/usr/lib/firefox{,-[0-9]*}/firefox{,*[^s][^h]}"),
            "usr.lib.firefox.firefox"
        );
        assert_eq!(polc_name("2x"), "p2x");
        // Found by the import fuzz target: `profile mode` gave `policy mode`.
        for w in ["mode", "allow", "policy", "self", "any", "unconfined"] {
            assert_eq!(polc_name(w), format!("imported.{w}"));
        }
        assert_eq!(polc_name("///"), "imported");
    }

    #[test]
    fn complain_imports_beside_a_flag_that_does_not() {
        // Debian's dnsmasq: `flags=(complain,attach_disconnected)`.
        let p = one("profile p /usr/sbin/p flags=(complain,attach_disconnected) {\n /a r,\n}\n");
        assert_eq!(p.entries[0].class, Class::Exact, "{:?}", p.entries[0]);
        assert_eq!(
            p.entries[0].polc,
            vec!["attach \"/usr/sbin/p\"", "mode complain"]
        );
        assert_eq!(p.entries[1].constructs, vec!["flags-other"]);
        assert_eq!(p.entries[1].class, Class::NotImportable);
        assert!(p.entries[1].polc.is_empty());
    }

    #[test]
    fn an_empty_alternative_between_slashes_is_split_and_collapsed() {
        // From Debian's postfix-showq: `/{var/spool/postfix,}/defer/...`.
        let p = one("profile p {\n /{var/spool/postfix,}/defer/[0-9A-F]* r,\n}\n");
        let rule = &p.entries[1];
        assert_eq!(rule.class, Class::Exact, "{rule:?}");
        assert_eq!(
            rule.polc,
            vec!["allow read \"/var/spool/postfix/defer/[0-9A-F]*\", \"/defer/[0-9A-F]*\""]
        );
    }

    #[test]
    fn a_thirteenth_named_target_is_not_importable() {
        let mut src = String::from("profile p {\n");
        for i in 0..14 {
            src.push_str(&format!(
                " /usr/bin/x{i} Px,\n /usr/bin/y{i} px -> usr.bin.x0,\n"
            ));
        }
        src.push_str(" /bin/sh ux,\n profile c {\n  /usr/bin/z Px,\n }\n}\n");
        let p = one(&src);
        let not: Vec<&str> = p
            .entries
            .iter()
            .filter(|e| e.class == Class::NotImportable)
            .map(|e| e.source.as_str())
            .collect();
        // x0..x11 and every `-> usr.bin.x0` fit; x12 and x13 would be the 13th and 14th targets.
        assert_eq!(not, ["/usr/bin/x12 Px,", "/usr/bin/x13 Px,"], "{p:?}");
        assert_eq!(named_target("allow exec \"/a\" as child c"), Some("c"));
        assert_eq!(
            named_target("allow exec \"/a\" as n else inherit"),
            Some("n")
        );
        assert_eq!(named_target("allow exec \"/a\" as unconfined"), None);
        assert_eq!(named_target("deny exec \"/a\""), None);
    }

    #[test]
    fn file_rules_map_letters_to_rights() {
        let p = one("@{H}=/home/*/ /root/\nprofile p /usr/bin/p {\n /etc/x rwkl,\n @{H}/.c/** r,\n /srv/ r,\n deny /a w,\n /usr/bin/t px -> t,\n /bin/sh Ux,\n owner /o r,\n}\n");
        let polc: Vec<String> = p.entries.iter().map(|e| e.polc.join(" | ")).collect();
        assert_eq!(
            polc,
            vec![
                "attach \"/usr/bin/p\"",
                "allow read write lock link \"/etc/x\"",
                "allow read list \"/home/*/.c/**\", \"/root/.c/**\"",
                "allow list \"/srv\"",
                "deny write \"/a\"",
                "allow exec \"/usr/bin/t\" as t",
                "allow exec \"/bin/sh\" as unconfined",
                "allow owner read \"/o\"",
            ]
        );
        let classes: Vec<Class> = p.entries.iter().map(|e| e.class.clone()).collect();
        use Class::*;
        assert_eq!(
            classes,
            vec![Exact, Exact, Exact, Exact, Exact, Exact, Exact, Exact]
        );
        assert_eq!(p.entries[6].note, "");
    }

    #[test]
    fn ptrace_and_unix_rules() {
        let p = one(concat!(
            "profile p {\n",
            " ptrace (read) peer=unconfined,\n",
            " ptrace (readby, tracedby) peer=p,\n",
            " ptrace,\n",
            " deny ptrace (trace) peer=/usr/sbin/*,\n",
            " unix peer=(label=@{profile_name}),\n",
            " unix (create),\n",
            " unix (connect, receive, send)\n   type=stream\n   peer=(addr=\"@/tmp/dbus-*\"),\n",
            " unix (bind, listen) type=stream addr=\"@org.example\",\n",
            " unix (send, receive) type=dgram addr=none peer=(addr=none),\n",
            " audit unix,\n",
            " network unix dgram,\n",
            "}\n"
        ));
        let got: Vec<(String, Class)> = p
            .entries
            .iter()
            .map(|e| (e.polc.join(" | "), e.class.clone()))
            .collect();
        use Class::*;
        let want: Vec<(&str, Class)> = vec![
            ("", Exact),
            ("allow ptrace read to unconfined", Exact),
            ("allow ptrace read, trace from self", Exact),
            (
                "allow ptrace read, trace to any | allow ptrace read, trace from any",
                Exact,
            ),
            ("deny ptrace trace to any", Approximated),
            (
                "allow unix connect, send, receive, accept peer self",
                Approximated,
            ),
            ("", NotImportable),
            (
                "allow unix connect, send, receive stream abstract",
                Approximated,
            ),
            (
                "allow unix bind, listen stream abstract \"@org.example\"",
                Approximated,
            ),
            ("allow unix send, receive dgram anonymous", Approximated),
            ("", NotImportable),
            (
                "allow unix connect, send, receive, bind, listen, accept dgram",
                Approximated,
            ),
        ];
        let want: Vec<(String, Class)> =
            want.into_iter().map(|(s, c)| (s.to_string(), c)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn errors_are_located() {
        let e = import(
            "t",
            "profile p {\n  /x r,\n",
            &NoFiles,
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert_eq!((e.kind.code(), e.line, e.column), ("E0500", 1, 1));
        let e = import(
            "t",
            "profile p {\n  @{NOPE}/x r,\n}\n",
            &NoFiles,
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert_eq!((e.kind.code(), e.line, e.column), ("E0503", 2, 3));
        let e = import(
            "t",
            "include <abstractions/base>\n",
            &NoFiles,
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert_eq!((e.kind.code(), e.line), ("E0501", 1));
        let e = import("t", "# nothing\n", &NoFiles, &ImportOptions::default()).unwrap_err();
        assert_eq!(e.kind.code(), "E0505");
    }
}
