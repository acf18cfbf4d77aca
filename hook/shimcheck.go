package hook

// A shim's own check, read back: a shim starts its program through the
// program's loader only while its target is still the file nixld looked
// at when it wrote the shim (see templates/shim.bash); otherwise it falls
// back to exporting LD_LIBRARY_PATH. StaleShim makes that same test from
// outside, so that nixld doctor can name the shims a profile switch left
// behind.

import (
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
	"mvdan.cc/sh/v3/syntax"

	"github.com/nixld/nixld/launch"
)

// StaleShim makes the test the shim at path makes before it starts its
// program through the loader, [[ -x LOADER && WHAT -ef FILE ]], where
// WHAT is the shim's target (an ELF, a makeBinaryWrapper binary) or the
// program its makeWrapper target execs, and FILE what nixld found there
// when it wrote the shim. stale is true where the test fails now: the
// shim then exports LD_LIBRARY_PATH to everything its program starts.
// stamped is FILE and now the file WHAT leads to today ("" where it leads
// nowhere). A shim that makes no such test (a launcher's, a static
// program's, export_ld_library_path's, a file nixld did not write) is
// never stale. It reads at most the shim's first 64 KiB and runs nothing.
func StaleShim(path string) (stamped, now string, stale bool) {
	head := launch.ReadHead(path)
	m := shimTargetLine.FindSubmatch(head)
	if m == nil {
		return "", "", false
	}
	target := strings.ReplaceAll(string(m[1]), `'\''`, "'")
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(string(head)), "")
	if err != nil {
		return "", "", false
	}
	var loader, what, file string
	found := false
	syntax.Walk(f, func(n syntax.Node) bool {
		if found {
			return false
		}
		if t, ok := n.(*syntax.TestClause); ok {
			loader, what, file, found = loaderTest(t.X)
		}
		return !found
	})
	if !found {
		return "", "", false
	}
	var subject string
	switch what {
	case "__nixld_target":
		subject = target
	case "1": // in the exec the makeWrapper target's last line calls
		subject = launch.ScriptExec(target)
	default:
		return "", "", false
	}
	if subject != "" {
		now, _ = filepath.EvalSymlinks(subject)
	}
	return file, now, !(executable(loader) && sameFile(subject, file))
}

// loaderTest reads [[ -x LOADER && ${WHAT...} -ef FILE ]], LOADER and
// FILE quoted text, WHAT a parameter's name.
func loaderTest(x syntax.TestExpr) (loader, what, file string, ok bool) {
	and, isAnd := x.(*syntax.BinaryTest)
	if !isAnd || and.Op != syntax.AndTest {
		return "", "", "", false
	}
	exec, isExec := and.X.(*syntax.UnaryTest)
	ef, isEf := and.Y.(*syntax.BinaryTest)
	if !isExec || exec.Op != syntax.TsExec || !isEf || ef.Op != syntax.TsDevIno {
		return "", "", "", false
	}
	lw, _ := exec.X.(*syntax.Word)
	pw, _ := ef.X.(*syntax.Word)
	fw, _ := ef.Y.(*syntax.Word)
	if lw == nil || pw == nil || fw == nil || len(pw.Parts) != 1 {
		return "", "", "", false
	}
	param, isParam := pw.Parts[0].(*syntax.ParamExp)
	loader, okL := launch.QuotedText(lw)
	file, okF := launch.QuotedText(fw)
	if !isParam || param.Param == nil || !okL || !okF {
		return "", "", "", false
	}
	return loader, param.Param.Value, file, true
}

// executable is bash's -x: name exists and this user may run it.
func executable(name string) bool {
	return name != "" && unix.Access(name, unix.X_OK) == nil
}
