// Package fakenix builds, for tests, the programs nixpkgs' wrappers make:
// a makeBinaryWrapper-style ELF (C compiled with the system's cc, with the
// makeCWrapper command line embedded as makeBinaryWrapper embeds it) and a
// makeWrapper-style bash script. They behave as nixpkgs' do for the flags
// nixld reads, so that tests run real wrappers without nixpkgs.
package fakenix

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BinaryWrapper compiles, at out, an ELF that does what
// `makeBinaryWrapper exe out args...` makes: it applies args (--set,
// --set-default, --unset, --prefix, --suffix, --chdir, --add-flag(s),
// --append-flag(s), --argv0, --inherit-argv0, --resolve-argv0) and execs
// exe. Like nixpkgs' it embeds the makeCWrapper command line, each
// argument single-quoted, except --resolve-argv0, which nixpkgs leaves out.
func BinaryWrapper(out, exe string, args ...string) error {
	var body, doc strings.Builder
	doc.WriteString("makeCWrapper " + quote(exe))
	var before, after []string
	argv0 := c(exe)
	inherit, resolve := false, false
	need := func(i, n int) error {
		if i+n >= len(args) {
			return fmt.Errorf("%s takes %d arguments", args[i], n)
		}
		return nil
	}
	for i := 0; i < len(args); i++ {
		flag, n := args[i], map[string]int{"--set": 2, "--set-default": 2, "--unset": 1, "--prefix": 3, "--suffix": 3,
			"--chdir": 1, "--add-flag": 1, "--append-flag": 1, "--add-flags": 1, "--append-flags": 1, "--argv0": 1}[args[i]]
		if err := need(i, n); err != nil {
			return err
		}
		a := args[i+1 : i+1+n]
		if flag != "--resolve-argv0" {
			doc.WriteString(" \\\n    " + flag)
			for _, arg := range a {
				doc.WriteString(" " + quote(arg))
			}
		}
		switch flag {
		case "--set":
			fmt.Fprintf(&body, "  setenv(%s, %s, 1);\n", c(a[0]), c(a[1]))
		case "--set-default":
			fmt.Fprintf(&body, "  setenv(%s, %s, 0);\n", c(a[0]), c(a[1]))
		case "--unset":
			fmt.Fprintf(&body, "  unsetenv(%s);\n", c(a[0]))
		case "--prefix":
			fmt.Fprintf(&body, "  join(%s, %s, %s, 1);\n", c(a[0]), c(a[1]), c(a[2]))
		case "--suffix":
			fmt.Fprintf(&body, "  join(%s, %s, %s, 0);\n", c(a[0]), c(a[1]), c(a[2]))
		case "--chdir":
			fmt.Fprintf(&body, "  if (chdir(%s) < 0) abort();\n", c(a[0]))
		case "--add-flag":
			before = append(before, a[0])
		case "--append-flag":
			after = append(after, a[0])
		case "--add-flags":
			before = append(before, strings.Fields(a[0])...)
		case "--append-flags":
			after = append(after, strings.Fields(a[0])...)
		case "--argv0":
			argv0, inherit = c(a[0]), false
		case "--inherit-argv0":
			inherit = true
		case "--resolve-argv0":
			resolve = true
		default:
			return fmt.Errorf("unknown flag %s", flag)
		}
		i += n
	}
	fmt.Fprintf(&body, "  char **args = calloc(argc + %d, sizeof(char *));\n  int n = 0;\n", len(before)+len(after)+1)
	if inherit {
		body.WriteString("  args[n++] = argv[0];\n")
	} else {
		fmt.Fprintf(&body, "  args[n++] = %s;\n", argv0)
	}
	for _, f := range before {
		fmt.Fprintf(&body, "  args[n++] = %s;\n", c(f))
	}
	body.WriteString("  for (int i = 1; i < argc; i++) args[n++] = argv[i];\n")
	for _, f := range after {
		fmt.Fprintf(&body, "  args[n++] = %s;\n", c(f))
	}
	if resolve {
		body.WriteString("  args[0] = resolve(args[0]);\n")
	}
	fmt.Fprintf(&body, "  execv(%s, args);\n  perror(\"execv\");\n  return 127;\n", c(exe))

	docstring := "\n\n\n# ------------------------------------------------------------------------------------\n" +
		"# The C-code for this binary wrapper has been generated using the following command:\n\n\n" +
		doc.String() + "\n\n\n" +
		"# (Use `nix-shell -p makeBinaryWrapper` to get access to makeCWrapper in your shell)\n" +
		"# ------------------------------------------------------------------------------------\n\n\n"
	src := wrapperPrelude + "const char *DOCSTRING = " + c(docstring) + ";\n\n" +
		"int main(int argc, char **argv) {\n" + body.String() + "}\n"
	return compile(out, src)
}

const wrapperPrelude = `#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* NAME=VALUE SEP NAME (prefix) or NAME SEP VALUE (suffix), or VALUE. */
static void join(const char *name, const char *sep, const char *value, int prefix) {
  const char *old = getenv(name);
  char *v;
  if (!old) { setenv(name, value, 1); return; }
  if (asprintf(&v, "%s%s%s", prefix ? value : old, sep, prefix ? old : value) < 0) abort();
  setenv(name, v, 1);
  free(v);
}

/* A slash-less argv[0] looked up on PATH. */
static char *resolve(char *argv0) {
  if (strchr(argv0, '/')) return argv0;
  const char *path = getenv("PATH");
  if (!path) return argv0;
  char *copy = strdup(path);
  for (char *dir = strtok(copy, ":"); dir; dir = strtok(NULL, ":")) {
    char *cand;
    if (asprintf(&cand, "%s/%s", dir, argv0) < 0) abort();
    if (access(cand, X_OK) == 0) return cand;
    free(cand);
  }
  return argv0;
}

`

// Script writes, at out, a makeWrapper-style bash script: it exports each
// NAME=VALUE of env, then exec -a "$0" exe "$@", as nixpkgs' makeWrapper
// writes its last line.
func Script(out, exe string, env ...string) error {
	var b strings.Builder
	b.WriteString("#! /bin/bash -e\n")
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", name, quote(value))
	}
	fmt.Fprintf(&b, "exec -a \"$0\" \"%s\"  \"$@\"\n", exe)
	return os.WriteFile(out, []byte(b.String()), 0o755)
}

// Program compiles the C source src into the executable out with cc and
// the extra arguments.
func Program(out, src string, ccArgs ...string) error {
	return compile(out, src, ccArgs...)
}

func compile(out, src string, ccArgs ...string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	cfile := out + ".c"
	if err := os.WriteFile(cfile, []byte(src), 0o644); err != nil {
		return err
	}
	defer os.Remove(cfile)
	args := append([]string{"-O1", "-o", out, cfile}, ccArgs...)
	if msg, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("cc %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return nil
}

// quote single-quotes s for bash, as makeBinaryWrapper's docstring does.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// c is s as a C string literal.
func c(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range []byte(s) {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(r)
		case r < 0x20 || r >= 0x7f:
			fmt.Fprintf(&b, `\%03o`, r) // three digits: a digit after it stays out
		default:
			b.WriteByte(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
