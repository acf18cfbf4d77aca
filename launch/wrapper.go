package launch

// nixpkgs' wrappers. A makeBinaryWrapper binary embeds, as a string, the
// makeCWrapper command line its C code was generated from:
//
//	# The C-code for this binary wrapper has been generated using the following command:
//
//	makeCWrapper '/nix/store/...-python3-3.12.8/bin/python3.12' \
//	    --inherit-argv0 \
//	    --set 'PYTHONNOUSERSITE' 'true'
//
// with each argument quoted as bash's ${x@Q} does. A makeWrapper script
// is bash ending in exec -a "$0" "/nix/store/..." "$@".

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/nixld/nixld/internal/regular"
	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// Wrapper is what a makeBinaryWrapper binary does before it execs its
// program, read from the makeCWrapper command line it embeds.
type Wrapper struct {
	Executable string `json:"executable"`
	// Ops change the environment and the working directory, in order.
	Ops []Op `json:"ops,omitempty"`
	// Before and After are arguments put before and after the caller's.
	Before []string `json:"before,omitempty"`
	After  []string `json:"after,omitempty"`
	// Inherit says the program runs under the caller's argv[0]
	// (--inherit-argv0); otherwise under Argv0 (--argv0, by default the
	// program's path).
	Inherit bool   `json:"inherit,omitempty"`
	Argv0   string `json:"argv0,omitempty"`
}

// Op is one of a wrapper's changes: Kind is set, set-default, unset,
// prefix, suffix (of the variable Name, by Value, separated by Sep) or
// chdir (to Value).
type Op struct {
	Kind  string `json:"kind"`
	Name  string `json:"name,omitempty"`
	Sep   string `json:"sep,omitempty"`
	Value string `json:"value,omitempty"`
}

// maxWrapper bounds the files read as possible binary wrappers; a wrapper
// is a few tens of KiB.
const maxWrapper = 2 << 20

var (
	docMarker = []byte("# The C-code for this binary wrapper has been generated using the following command:")
	docEnd    = []byte("\n# (Use ")
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// readWrapper reads the makeCWrapper command line embedded in the ELF
// file name. It returns nil, false where name is no binary wrapper, and
// nil, true where it is one that nixld does not understand.
func readWrapper(name string) (*Wrapper, bool) {
	data := readAll(name, maxWrapper)
	i := bytes.Index(data, docMarker)
	if i < 0 {
		return nil, false
	}
	doc := data[i+len(docMarker):]
	if end := bytes.IndexByte(doc, 0); end >= 0 {
		doc = doc[:end]
	}
	if end := bytes.Index(doc, docEnd); end >= 0 {
		doc = doc[:end]
	}
	args, ok := commandWords(string(doc))
	if !ok || len(args) < 2 || args[0] != "makeCWrapper" || !holdsString(data, args[1]) {
		return nil, true
	}
	return parseWrapperArgs(args[1], args[2:]), true
}

// holdsString reports whether data holds s as a C string of its own, as
// the program a wrapper execs is (execv's first argument): the docstring
// alone, which only documents the code, is not believed.
func holdsString(data []byte, s string) bool {
	needle := append([]byte(s), 0)
	for i := 0; ; {
		j := bytes.Index(data[i:], needle)
		if j < 0 {
			return false
		}
		if at := i + j; at == 0 || data[at-1] == 0 {
			return true
		}
		i += j + 1
	}
}

// commandWords splits one simple bash command into its words, where each
// word is only quoted or literal text: nothing is expanded or run.
func commandWords(src string) ([]string, bool) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err != nil || len(f.Stmts) != 1 || len(f.Stmts[0].Redirs) > 0 {
		return nil, false
	}
	call, ok := f.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok || len(call.Assigns) > 0 {
		return nil, false
	}
	var words []string
	for _, w := range call.Args {
		word, ok := QuotedText(w)
		if !ok {
			return nil, false
		}
		words = append(words, word)
	}
	return words, true
}

// QuotedText is w's text where w expands nothing (only literal and
// quoted parts, as makeWrapper's and nixld's own quoting write them),
// quotes and backslashes removed.
func QuotedText(w *syntax.Word) (string, bool) {
	for _, part := range w.Parts {
		switch part := part.(type) {
		case *syntax.Lit, *syntax.SglQuoted:
		case *syntax.DblQuoted:
			for _, inner := range part.Parts {
				if _, ok := inner.(*syntax.Lit); !ok {
					return "", false
				}
			}
		default:
			return "", false
		}
	}
	// Fields removes quotes and backslashes; with nothing to expand, a
	// word stays one field.
	fields, err := expand.Fields(nil, w)
	if err != nil || len(fields) != 1 {
		return "", false
	}
	return fields[0], true
}

// parseWrapperArgs reads makeCWrapper's arguments as makeCWrapper does;
// an argument it does not know, or one short, makes the wrapper one nixld
// does not understand.
func parseWrapperArgs(executable string, args []string) *Wrapper {
	w := &Wrapper{Executable: executable}
	takes := map[string]int{"--set": 2, "--set-default": 2, "--unset": 1, "--prefix": 3, "--suffix": 3,
		"--chdir": 1, "--add-flag": 1, "--append-flag": 1, "--add-flags": 1, "--append-flags": 1,
		"--argv0": 1, "--inherit-argv0": 0, "--resolve-argv0": 0}
	for i := 0; i < len(args); i++ {
		n, known := takes[args[i]]
		if !known || i+n >= len(args) {
			return nil
		}
		a := args[i+1 : i+1+n]
		switch flag := args[i]; flag {
		case "--set", "--set-default":
			w.Ops = append(w.Ops, Op{Kind: flag[2:], Name: a[0], Value: a[1]})
		case "--unset":
			w.Ops = append(w.Ops, Op{Kind: "unset", Name: a[0]})
		case "--prefix", "--suffix":
			w.Ops = append(w.Ops, Op{Kind: flag[2:], Name: a[0], Sep: a[1], Value: a[2]})
		case "--chdir":
			w.Ops = append(w.Ops, Op{Kind: "chdir", Value: a[0]})
		case "--add-flag":
			w.Before = append(w.Before, a[0])
		case "--append-flag":
			w.After = append(w.After, a[0])
		case "--add-flags":
			w.Before = append(w.Before, strings.Fields(a[0])...)
		case "--append-flags":
			w.After = append(w.After, strings.Fields(a[0])...)
		case "--argv0":
			w.Inherit, w.Argv0 = false, a[0]
		case "--inherit-argv0":
			w.Inherit, w.Argv0 = true, ""
		case "--resolve-argv0":
			// A slash-less argv[0] is looked up on PATH; a shim's always
			// has a slash.
		}
		i += n
	}
	for _, op := range w.Ops {
		if op.Kind != "chdir" && (!envName.MatchString(op.Name) || bashSpecial(op.Name)) {
			return nil
		}
	}
	if !w.Inherit && w.Argv0 == "" {
		w.Argv0 = executable
	}
	return w
}

// bashSpecial reports whether bash gives the variable name a meaning of
// its own: a shim, which is bash, cannot pass such a variable on as the
// wrapper would (BASH_ARGV0 would rename the shim, SHELLOPTS is read-only).
func bashSpecial(name string) bool {
	if strings.HasPrefix(name, "BASH") || strings.HasPrefix(name, "__nixld") || strings.HasPrefix(name, "COMP_") {
		return true
	}
	switch name {
	case "SHELLOPTS", "POSIXLY_CORRECT", "UID", "EUID", "PPID", "GROUPS", "FUNCNAME", "IFS", "SHLVL", "PS4", "ENV",
		"OPTIND", "OPTARG", "RANDOM", "SRANDOM", "SECONDS", "LINENO", "HISTCMD", "EPOCHSECONDS", "EPOCHREALTIME",
		"DIRSTACK", "PIPESTATUS", "HOSTNAME", "HOSTTYPE", "OSTYPE", "MACHTYPE", "OLDPWD", "PWD", "_":
		return true
	}
	return false
}

// wrap folds inner, the wrapper w's program is, into w: w then execs
// inner's program as the two in turn would.
func (w *Wrapper) wrap(inner *Wrapper) {
	w.Ops = append(w.Ops, inner.Ops...)
	w.Before = append(append([]string(nil), inner.Before...), w.Before...)
	w.After = append(w.After, inner.After...)
	if !inner.Inherit {
		w.Inherit, w.Argv0 = false, inner.Argv0
	}
	w.Executable = inner.Executable
}

// makeWrapperExec matches the last line of a makeWrapper script.
var makeWrapperExec = regexp.MustCompile(`exec -a "\$0" (?:-- )?"([^"]+)"`)

// maxScriptHead bounds what is read of a script: a makeWrapper script is
// a few lines.
const maxScriptHead = 64 << 10

// ScriptExec is the program a makeWrapper script at name runs with
// exec -a "$0", or "" where name is no such script.
func ScriptExec(name string) string {
	return ScriptExecOf(ReadHead(name))
}

// ScriptExecOf is ScriptExec for a file's first bytes, head.
func ScriptExecOf(head []byte) string {
	if !bytes.HasPrefix(head, []byte("#!")) || !bytes.Contains(head, []byte("bash")) {
		return ""
	}
	if m := makeWrapperExec.FindSubmatch(head); m != nil {
		return string(m[1])
	}
	return ""
}

// execLine matches a line that starts with exec.
var execLine = regexp.MustCompile(`(?m)^[ \t]*exec\b`)

// soleExec reports whether the makeWrapper script head execs only once,
// on its last line: a shim may then take that exec over. An earlier exec
// (a --run line's exec 3>file, say) must stay bash's own.
func soleExec(head []byte) bool {
	return len(execLine.FindAllIndex(head, 2)) == 1
}

// ReadHead is the first 64 KiB of the regular file name, or nil.
func ReadHead(name string) []byte { return regular.ReadHead(name, maxScriptHead) }
