/**
 * Shell completion scripts for bash, zsh and fish, generated from the verbs
 * themselves so they never drift. Host names and @tags are not baked in: the
 * scripts ask `pool hosts --format complete` (no ssh, just the roster) each
 * time, so they follow the live roster.
 */

export interface VerbSpec {
  name: string;
  description: string;
  /** Long and short flags: ["--sudo", "-t", "--tty"]. */
  flags: string[];
  /** Its first argument is a host or a host selection. */
  takesHosts: boolean;
}

const quoteWords = (words: string[]) => words.join(" ");

/*
 * Host names and tags come from a roster anyone may edit by hand, so no
 * script below lets a shell evaluate them. bash's `compgen -W` expands
 * `$(…)` and backticks in its word list, so bash filters with a plain prefix
 * test and inserts each word quoted (`printf %q`); zsh's compadd and fish's
 * command substitution take each output line as a literal word.
 */

export function bashCompletion(verbs: VerbSpec[]): string {
  const flagCases = verbs.map((v) =>
    `    ${v.name}) flags=(${quoteWords([...v.flags, "--help"])}) ;;`
  ).join("\n");
  const hostVerbs = verbs.filter((v) => v.takesHosts).map((v) => v.name).join("|");
  return `# pool completion for bash. Load it with: source <(pool completions bash)
# __pool_offer PREFIX TYPED WORD...: each WORD that starts with TYPED, quoted, after PREFIX.
# Never compgen -W: it would run \$(...) found in a host name.
__pool_offer() {
  local prefix=$1 typed=$2 word quoted
  shift 2
  for word in "$@"; do
    if [[ $word == "$typed"* ]]; then
      printf -v quoted %q "$word"
      COMPREPLY+=("$prefix$quoted")
    fi
  done
}
_pool() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local verbs=(${quoteWords(verbs.map((v) => v.name))})
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    __pool_offer "" "$cur" "\${verbs[@]}" --help --version
    return 0
  fi
  local verb=\${COMP_WORDS[1]} flags=()
  case "$cur" in
  -*)
    case "$verb" in
${flagCases}
    esac
    __pool_offer "" "$cur" "\${flags[@]}"
    return 0
    ;;
  esac
  case "$verb" in
  ${hostVerbs})
    if [ "$COMP_CWORD" -eq 2 ]; then
      # Complete the last item of a comma list, keeping what came before it.
      local head="" last="$cur"
      case "$cur" in *,*) head="\${cur%,*},"; last="\${cur##*,}" ;; esac
      local bang=""
      case "$last" in '!'*) bang="!"; last="\${last#!}" ;; esac
      local words=()
      mapfile -t words < <(pool hosts --format complete 2>/dev/null)
      __pool_offer "$head$bang" "$last" "\${words[@]}"
    fi
    ;;
  esac
  return 0
}
complete -F _pool pool
`;
}

export function zshCompletion(verbs: VerbSpec[]): string {
  const flagCases = verbs.map((v) =>
    `    ${v.name}) compadd -- ${quoteWords([...v.flags, "--help"])} ;;`
  ).join("\n");
  const hostVerbs = verbs.filter((v) => v.takesHosts).map((v) => v.name).join("|");
  return `#compdef pool
# pool completion for zsh. Load it with: source <(pool completions zsh)   (after compinit)
_pool() {
  local -a verbs
  verbs=(${quoteWords(verbs.map((v) => v.name))})
  if (( CURRENT == 2 )); then
    compadd -- $verbs --help --version
    return
  fi
  local verb=\${words[2]}
  if [[ \${words[CURRENT]} == -* ]]; then
    case $verb in
${flagCases}
    esac
    return
  fi
  case $verb in
  ${hostVerbs})
    if (( CURRENT == 3 )); then
      local -a hosts
      hosts=(\${(f)"$(pool hosts --format complete 2>/dev/null)"})
      compadd -- "\${hosts[@]}"
    fi
    ;;
  esac
}
if (( $+functions[compdef] )); then compdef _pool pool; fi
`;
}

export function fishCompletion(verbs: VerbSpec[]): string {
  const escape = (s: string) => s.replace(/[\\']/g, "\\$&");
  const lines = [
    "# pool completion for fish. Load it with: pool completions fish | source",
    "complete -c pool -f",
    ...verbs.map((v) =>
      `complete -c pool -n __fish_use_subcommand -a ${v.name} -d '${escape(v.description)}'`
    ),
  ];
  for (const v of verbs) {
    for (const flag of v.flags) {
      const opt = flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
      lines.push(`complete -c pool -n '__fish_seen_subcommand_from ${v.name}' ${opt}`);
    }
  }
  const hostVerbs = verbs.filter((v) => v.takesHosts).map((v) => v.name).join(" ");
  lines.push(
    `complete -c pool -n '__fish_seen_subcommand_from ${hostVerbs}' -a '(pool hosts --format complete 2>/dev/null)'`,
  );
  return lines.join("\n") + "\n";
}
