package polc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const webapp = "../../examples/webapp.pol"

func load(t *testing.T, name, text string) *Policy {
	t.Helper()
	p, err := Load(name, text)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestLoadGivesWarningsWithCodesAndPositions(t *testing.T) {
	text, err := os.ReadFile(webapp)
	if err != nil {
		t.Fatal(err)
	}
	p := load(t, "webapp.pol", string(text))
	if len(p.Warnings) != 1 || p.Warnings[0].Code != "W0201" || p.Warnings[0].Line != 17 || p.Warnings[0].IsError {
		t.Fatalf("warnings: %+v", p.Warnings)
	}
	ir, err := p.IRJSON()
	if err != nil || !strings.Contains(ir, `"name": "org.example.webapp"`) {
		t.Fatalf("ir: %v %.200s", err, ir)
	}
}

func TestABadPolicyGivesEveryDiagnostic(t *testing.T) {
	_, err := Load("bad.pol", "policy a.b {\n    allow frob \"/x\"\n    frob\n}\n")
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, InvalidPolicy) {
		t.Fatalf("want an InvalidPolicy *Error, got %v", err)
	}
	got := []string{}
	for _, d := range e.Diagnostics {
		got = append(got, d.String())
	}
	want := "bad.pol:3:5: error[E0001]: expected a statement or `}`, found `frob`"
	if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), want) {
		t.Fatalf("diagnostics %q lack %q", got, want)
	}
}

func TestCompileEachTargetAndStrict(t *testing.T) {
	text, _ := os.ReadFile(webapp)
	p := load(t, "webapp.pol", string(text))
	profile, report, err := p.Compile(AppArmor, Options{})
	if err != nil || !strings.Contains(profile, `profile "org.example.webapp" "/usr/bin/webapp" {`) ||
		!strings.Contains(report, `"backend":"apparmor"`) {
		t.Fatalf("apparmor: %v\n%.300s\n%.300s", err, profile, report)
	}
	_, report, err = p.Compile(Landlock, Options{LandlockABI: 4})
	if err != nil || !strings.Contains(report, `"target":"abi 4"`) {
		t.Fatalf("landlock: %v %.300s", err, report)
	}
	_, _, err = p.Compile(Landlock, Options{Strict: true})
	if !errors.Is(err, StrictRefused) || !strings.Contains(err.Error(), "strict") {
		t.Fatalf("strict: want StrictRefused, got %v", err)
	}
	_, _, err = p.Compile(Target(42), Options{})
	if !errors.Is(err, InvalidArgument) {
		t.Fatalf("target 42: want InvalidArgument, got %v", err)
	}
	_, _, err = p.Compile(SELinux, Options{})
	if !errors.Is(err, CompileFailed) || !strings.Contains(err.Error(), "file contexts") {
		t.Fatalf("selinux without file contexts: %v", err)
	}
}

func TestExplainAndDiff(t *testing.T) {
	old := load(t, "old.pol", "policy a.b {\n    allow read \"/srv/**\"\n    deny read \"/srv/secret\"\n}\n")
	yes, err := old.Explain("read /srv/x")
	if err != nil || !strings.Contains(yes, `"allowed": true`) {
		t.Fatalf("explain: %v %s", err, yes)
	}
	no, _ := old.Explain("read /srv/secret")
	if !strings.Contains(no, `"allowed": false`) || !strings.Contains(no, `deny read \"/srv/secret\"`) {
		t.Fatalf("explain deny: %s", no)
	}
	if _, err := old.Explain("frob /x"); !errors.Is(err, InvalidArgument) {
		t.Fatalf("bad request: %v", err)
	}
	newer := load(t, "new.pol", "policy a.b {\n    allow read \"/srv/**\"\n}\n")
	text, changed, err := old.Diff(newer)
	if err != nil || !changed || !strings.Contains(text, "/srv/secret") {
		t.Fatalf("diff: %v %v %s", err, changed, text)
	}
	_, changed, _ = old.Diff(old)
	if changed {
		t.Fatal("a policy differs from itself")
	}
}

func TestStoreInstallRollbackRemove(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	s, err := OpenStore(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v1 := load(t, "v1.pol", "policy org.test.go {\n    allow read \"/srv/v1\"\n}\n")
	v2 := load(t, "v2.pol", "policy org.test.go {\n    allow read \"/srv/v2\"\n}\n")
	for want, p := range []*Policy{v1, v2} {
		g, err := s.Install(p, Landlock, Options{})
		if err != nil || g != uint64(want+1) {
			t.Fatalf("install: %v generation %d", err, g)
		}
	}
	if g, err := s.Rollback("org.test.go"); err != nil || g != 1 {
		t.Fatalf("rollback: %v %d", err, g)
	}
	if g, _ := s.Current("org.test.go"); g != 1 {
		t.Fatalf("current after rollback: %d", g)
	}
	if err := s.Remove("org.test.go"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Current("org.test.go"); !errors.Is(err, NotFound) {
		t.Fatalf("current after remove: want NotFound, got %v", err)
	}
	if _, err := s.Rollback("Not A Name"); !errors.Is(err, InvalidArgument) {
		t.Fatalf("bad name: %v", err)
	}
}

func TestAForeignDirectoryIsRefusedUntouched(t *testing.T) {
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious")
	os.WriteFile(precious, []byte("data"), 0o644)
	s, err := OpenStore(dir)
	if err == nil {
		s.Close()
		t.Fatal("a foreign directory was opened as a store")
	}
	if !errors.Is(err, StoreFailed) {
		t.Fatalf("want StoreFailed, got %v", err)
	}
	if b, _ := os.ReadFile(precious); string(b) != "data" {
		t.Fatal("the foreign directory was touched")
	}
}
