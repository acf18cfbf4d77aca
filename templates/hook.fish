# nixld hook for fish: nixld hook fish | source   in ~/.config/fish/config.fish.
# The hook is in the string fish evaluates below (see hook-code.fish).
# bash and zsh, in an rc line meant for them, read the next line too: there
# it installs nothing and says which line to use. nixld's path is given
# %-encoded, which neither reads differently.
test -z "$FISH_VERSION" && eval 'case ${ZSH_VERSION:+z}${BASH_VERSION:+b} in
  z) printf "nixld: this is nixld\047s hook for fish, but this shell is zsh: use eval \"\$(nixld hook zsh)\" in ~/.zshrc\n" >&2 ;;
  b) printf "nixld: this is nixld\047s hook for fish, but this shell is bash: use eval \"\$(nixld hook bash)\" in ~/.bashrc\n" >&2 ;;
  *) printf "nixld: this is nixld\047s hook for fish, but this shell is not fish: see nixld hook --help\n" >&2 ;;
esac' || eval 'set -g _nixld_self (string unescape --style=url -- {{.Self}} | string collect)
{{.Code}}'
