// Package polc is a small cgo binding of the polc C API (bindings/c, libpolc.so.1):
// load and check a policy with its diagnostics, compile it for AppArmor, SELinux or
// Landlock with the fidelity report, explain a request, diff two policies, and install
// into the transactional store with rollback.
//
// Build against the header and the library (docs/c-api.md):
//
//	CGO_CFLAGS="-I$PREFIX/include" CGO_LDFLAGS="-L$PREFIX/lib -lpolc" go build
package polc

/*
#cgo LDFLAGS: -lpolc
#include <stdlib.h>
#include <polc.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"
)

// ABIVersion is the C ABI this package was written for; Load fails on another.
const ABIVersion = 1

// Target is an LSM a policy compiles for.
type Target uint32

// The targets.
const (
	AppArmor Target = C.POLC_LSM_APP_ARMOR
	SELinux  Target = C.POLC_LSM_SE_LINUX
	Landlock Target = C.POLC_LSM_LANDLOCK
)

// Status is a polc_status that is not POLC_STATUS_OK.
type Status uint32

// Statuses callers test for with errors.Is.
const (
	InvalidPolicy   Status = C.POLC_STATUS_INVALID_POLICY
	CompileFailed   Status = C.POLC_STATUS_COMPILE
	StrictRefused   Status = C.POLC_STATUS_STRICT
	StoreFailed     Status = C.POLC_STATUS_STORE
	NotFound        Status = C.POLC_STATUS_NOT_FOUND
	InvalidArgument Status = C.POLC_STATUS_INVALID_ARGUMENT
)

func (s Status) Error() string { return C.GoString(C.polc_status_str(C.uint32_t(s))) }

// Error is a failed call: its status and the library's one-line message.
type Error struct {
	Status  Status
	Message string
	// Diagnostics of a policy that did not load (Status InvalidPolicy).
	Diagnostics []Diagnostic
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Status.Error()
	}
	return e.Message
}

// Unwrap lets errors.Is(err, polc.StrictRefused) work.
func (e *Error) Unwrap() error { return e.Status }

// Diagnostic is one error or warning of a load, with a stable code (docs/diagnostics.md).
type Diagnostic struct {
	Code, Message, Help, File string
	Line, Column              int
	IsError                   bool
}

func (d Diagnostic) String() string {
	sev := "warning"
	if d.IsError {
		sev = "error"
	}
	return fmt.Sprintf("%s:%d:%d: %s[%s]: %s", d.File, d.Line, d.Column, sev, d.Code, d.Message)
}

// fail turns a status into an *Error with the thread's last message. The caller holds
// runtime.LockOSThread: the message is per OS thread.
func fail(st C.polc_status) error {
	return &Error{Status: Status(st), Message: C.GoString(C.polc_last_error_message())}
}

func takeString(p *C.char) string {
	if p == nil {
		return ""
	}
	defer C.polc_string_free(p)
	return C.GoString(p)
}

// Policy is a loaded policy. Free it with Close.
type Policy struct {
	p        *C.polc_policy
	Warnings []Diagnostic
}

func diagnostics(d *C.polc_diagnostics) []Diagnostic {
	n := int(C.polc_diagnostics_count(d))
	out := make([]Diagnostic, 0, n)
	for i := 0; i < n; i++ {
		ci := C.size_t(i)
		var line, col C.size_t
		C.polc_diagnostics_location(d, ci, &line, &col)
		out = append(out, Diagnostic{
			Code:    C.GoString(C.polc_diagnostics_code(d, ci)),
			Message: C.GoString(C.polc_diagnostics_message(d, ci)),
			Help:    C.GoString(C.polc_diagnostics_help(d, ci)),
			File:    C.GoString(C.polc_diagnostics_file(d, ci)),
			Line:    int(line),
			Column:  int(col),
			IsError: bool(C.polc_diagnostics_is_error(d, ci)),
		})
	}
	return out
}

// Load parses, checks and lowers a policy text; name is its file name in diagnostics.
// A policy that does not load gives an *Error with Status InvalidPolicy and every
// diagnostic.
func Load(name, text string) (*Policy, error) {
	if v := int(C.polc_abi_version()); v != ABIVersion {
		return nil, fmt.Errorf("libpolc has C ABI %d, this package needs %d", v, ABIVersion)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var diags *C.polc_diagnostics
	if st := C.polc_diagnostics_new(&diags); st != C.POLC_STATUS_OK {
		return nil, fail(st)
	}
	defer C.polc_diagnostics_free(diags)
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	ctext := C.CBytes([]byte(text))
	defer C.free(ctext)
	var p *C.polc_policy
	st := C.polc_policy_load(cname, (*C.uint8_t)(ctext), C.size_t(len(text)), nil, diags, &p)
	if st != C.POLC_STATUS_OK {
		e := fail(st).(*Error)
		e.Diagnostics = diagnostics(diags)
		return nil, e
	}
	pol := &Policy{p: p, Warnings: diagnostics(diags)}
	runtime.SetFinalizer(pol, (*Policy).Close)
	return pol, nil
}

// Close frees the policy; closing twice is harmless.
func (p *Policy) Close() {
	if p.p != nil {
		C.polc_policy_free(p.p)
		p.p = nil
	}
}

func (p *Policy) handle() (*C.polc_policy, error) {
	if p == nil || p.p == nil {
		return nil, errors.New("polc: the policy is closed")
	}
	return p.p, nil
}

// IRJSON is the policy's meaning as JSON (`polc compile --target ir`).
func (p *Policy) IRJSON() (string, error) {
	h, err := p.handle()
	if err != nil {
		return "", err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out *C.char
	if st := C.polc_policy_ir_json(h, &out); st != C.POLC_STATUS_OK {
		return "", fail(st)
	}
	return takeString(out), nil
}

// Options of a compile.
type Options struct {
	Strict      bool
	LandlockABI uint32 // 0: the newest
}

func config(t Target, o Options) (*C.polc_compile_config, error) {
	var c *C.polc_compile_config
	if st := C.polc_compile_config_new(C.polc_lsm(t), &c); st != C.POLC_STATUS_OK {
		return nil, fail(st)
	}
	if st := C.polc_compile_config_set_strict(c, C.bool(o.Strict)); st != C.POLC_STATUS_OK {
		C.polc_compile_config_free(c)
		return nil, fail(st)
	}
	if o.LandlockABI != 0 {
		if st := C.polc_compile_config_set_landlock_abi(c, C.uint32_t(o.LandlockABI)); st != C.POLC_STATUS_OK {
			C.polc_compile_config_free(c)
			return nil, fail(st)
		}
	}
	return c, nil
}

// Compile returns the artifact (profile, CIL module or Landlock plan) and the per-rule
// fidelity report as JSON. Strict mode refuses widened or unsupported rules with an
// error for which errors.Is(err, StrictRefused) holds.
func (p *Policy) Compile(t Target, o Options) (artifact, reportJSON string, err error) {
	h, err := p.handle()
	if err != nil {
		return "", "", err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := config(t, o)
	if err != nil {
		return "", "", err
	}
	defer C.polc_compile_config_free(c)
	var a, r *C.char
	if st := C.polc_policy_compile(h, c, &a, &r); st != C.POLC_STATUS_OK {
		return "", "", fail(st)
	}
	return takeString(a), takeString(r), nil
}

// Explain decides a request (`read /etc/hosts`, `capability chown`, ...) and returns
// what `polc explain --format json` prints.
func (p *Policy) Explain(request string) (string, error) {
	h, err := p.handle()
	if err != nil {
		return "", err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	creq := C.CString(request)
	defer C.free(unsafe.Pointer(creq))
	var out *C.char
	if st := C.polc_policy_explain(h, creq, C.POLC_FORMAT_JSON, &out); st != C.POLC_STATUS_OK {
		return "", fail(st)
	}
	return takeString(out), nil
}

// Diff says, as `polc diff` prints it, what newer grants that p did not and the reverse.
func (p *Policy) Diff(newer *Policy) (text string, changed bool, err error) {
	o, err := p.handle()
	if err != nil {
		return "", false, err
	}
	n, err := newer.handle()
	if err != nil {
		return "", false, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out *C.char
	var ch C.bool
	if st := C.polc_policy_diff(o, n, C.POLC_FORMAT_TEXT, &out, &ch); st != C.POLC_STATUS_OK {
		return "", false, fail(st)
	}
	return takeString(out), bool(ch), nil
}

// Store is the transactional store. It holds the store's lock until Close.
type Store struct{ s *C.polc_store }

// OpenStore opens (creating it when missing) the store at root.
func OpenStore(root string) (*Store, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	croot := C.CString(root)
	defer C.free(unsafe.Pointer(croot))
	var s *C.polc_store
	if st := C.polc_store_open(croot, &s); st != C.POLC_STATUS_OK {
		return nil, fail(st)
	}
	return &Store{s: s}, nil
}

// Close releases the store; closing twice is harmless.
func (s *Store) Close() {
	if s.s != nil {
		C.polc_store_free(s.s)
		s.s = nil
	}
}

// Install compiles and installs p as a new generation; returns its number.
func (s *Store) Install(p *Policy, t Target, o Options) (uint64, error) {
	h, err := p.handle()
	if err != nil {
		return 0, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := config(t, o)
	if err != nil {
		return 0, err
	}
	defer C.polc_compile_config_free(c)
	var g C.uint64_t
	if st := C.polc_store_install(s.s, h, c, &g); st != C.POLC_STATUS_OK {
		return 0, fail(st)
	}
	return uint64(g), nil
}

func (s *Store) named(name string, f func(*C.char, *C.uint64_t) C.polc_status) (uint64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var g C.uint64_t
	if st := f(cname, &g); st != C.POLC_STATUS_OK {
		return 0, fail(st)
	}
	return uint64(g), nil
}

// Rollback makes the previous generation current; returns its number.
func (s *Store) Rollback(name string) (uint64, error) {
	return s.named(name, func(n *C.char, g *C.uint64_t) C.polc_status {
		return C.polc_store_rollback(s.s, n, g)
	})
}

// Current is the current generation of an installed policy.
func (s *Store) Current(name string) (uint64, error) {
	return s.named(name, func(n *C.char, g *C.uint64_t) C.polc_status {
		return C.polc_store_current(s.s, n, g)
	})
}

// Remove unloads a policy and deletes its generations.
func (s *Store) Remove(name string) error {
	_, err := s.named(name, func(n *C.char, _ *C.uint64_t) C.polc_status {
		return C.polc_store_remove(s.s, n)
	})
	return err
}
