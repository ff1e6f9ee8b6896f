/**
 * Shell completion scripts for bash, zsh and fish, generated from the verbs
 * themselves so they never drift. Host names and @tags are not baked in: the
 * scripts ask `pool hosts --format complete` (no ssh, just the roster) each
 * time, so they follow the live roster.
 *
 * All three offer the same things: verbs; each verb's flags; a flag's values
 * (`hosts --format`, `init --only`, `on --exclude` takes hosts); host names,
 * @tags, `all` and `local` as a selection verb's first argument, each item of
 * a comma list and after a `!`; roster names alone where a verb takes one
 * host by name (`rm`, `tag`: they refuse a selection), and `local` too where
 * that host may be this machine (`bg`); file names for the command words after
 * the host (`on`, `bg`) or after `route`. A flag that takes a value takes the next
 * word with it, so `pool on --jobs 4 <Tab>` still completes a host.
 */

export type FirstArg = "selection" | "name" | "host";

export interface VerbSpec {
  name: string;
  description: string;
  /** Long and short flags: ["--sudo", "-t", "--tty"]. */
  flags: string[];
  /** The flags among them whose next word is their value. */
  valueFlags: string[];
  /** What a flag's value may be: fixed words, or "hosts" for a host selection. */
  values: Record<string, readonly string[] | "hosts">;
  /**
   * Its first argument: a selection (names, @tags, all, local, lists), one roster host by name,
   * one host by name or `local`; null for none. Each is a `pool hosts --format` for completion.
   */
  firstArg: FirstArg | null;
  /** The words after that (or after the verb) are a command: offer file names. */
  files: boolean;
}

const quoteWords = (words: readonly string[]) => words.join(" ");

/** The variables bash and zsh read for a verb: what its first argument is, and files after it. */
const shellVars = (v: VerbSpec) => `first=${v.firstArg ?? ""} files=${v.files ? 1 : 0}`;

/** Words pool itself writes into a script (verbs, flags, values): plain, never shell syntax. */
function plain(words: readonly string[]): readonly string[] {
  for (const w of words) {
    if (!/^[\w@%+,.:=/-]+$/.test(w)) throw new Error(`not a plain completion word: ${w}`);
  }
  return words;
}

/*
 * Host names and tags come from a roster anyone may edit by hand, so no
 * script below lets a shell evaluate them. bash's `compgen -W` expands
 * `$(…)` and backticks in its word list, so bash filters with a plain prefix
 * test and inserts each word quoted (`printf %q`); zsh's compadd and fish's
 * command substitution take each output line as a literal word. The typed
 * text before the last comma is kept as it is, never evaluated either.
 */

export function bashCompletion(verbs: VerbSpec[]): string {
  const cases = verbs.map((v) => {
    return [
      `  ${v.name})`,
      `    flags=(${quoteWords(plain([...v.flags, "--help"]))})`,
      `    valueflags=(${quoteWords(plain(v.valueFlags))})`,
      `    ${shellVars(v)}`,
      `    ;;`,
    ].join("\n");
  }).join("\n");
  const valueCases = verbs.flatMap((v) =>
    Object.entries(v.values).map(([flag, words]) =>
      `  "${v.name} ${flag}") ${
        words === "hosts" ? "__pool_hosts" : `__pool_items "$cur" ${quoteWords(plain(words))}`
      } ;;`
    )
  ).join("\n");
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
# __pool_items TYPED WORD...: completes the last item of a comma list (after a leading !),
# keeping what came before it as typed.
__pool_items() {
  local typed=$1 head="" bang=""
  shift
  case "$typed" in *,*) head="\${typed%,*},"; typed="\${typed##*,}" ;; esac
  case "$typed" in '!'*) bang="!"; typed="\${typed#!}" ;; esac
  __pool_offer "$head$bang" "$typed" "$@"
}
__pool_hosts() {
  local words=()
  mapfile -t words < <(pool hosts --format complete 2>/dev/null)
  __pool_items "$cur" "\${words[@]}"
}
# __pool_one name|host: one host's name, for a verb that refuses a selection.
__pool_one() {
  local words=()
  mapfile -t words < <(pool hosts --format "complete-$1" 2>/dev/null)
  __pool_offer "" "$cur" "\${words[@]}"
}
_pool() {
  # bash cuts words at COMP_WORDBREAKS (@ : = among them) as well as at spaces: pool on @g
  # would be the words @ and g. Work on words cut at spaces only, as typed; then hand bash
  # replies for the piece of the last word it is completing (its own COMP_WORDS word).
  local words=("\${COMP_WORDS[@]}") cword=$COMP_CWORD
  if [ -n "\${COMP_LINE+set}" ]; then
    # Glue back the pieces no whitespace separates in the line (bash's own words keep quotes
    # and backslashes: my\ file stays one).
    local line=\${COMP_LINE:0:COMP_POINT} at=0 k piece rest trimmed
    words=()
    for ((k = 0; k <= COMP_CWORD; k++)); do
      piece=\${COMP_WORDS[k]}
      rest=\${line:at}
      trimmed=\${rest#"\${rest%%[![:space:]]*}"}
      if [[ $k -eq 0 || \${#trimmed} -ne \${#rest} ]]; then words+=("$piece"); else words[-1]+=$piece; fi
      at=$((at + \${#rest} - \${#trimmed} + \${#piece}))
    done
    cword=$((\${#words[@]} - 1))
  fi
  local cur=\${words[cword]} prev=""
  local verbs=(${quoteWords(plain(verbs.map((v) => v.name)))})
  COMPREPLY=()
  if [ "$cword" -eq 1 ]; then
    __pool_offer "" "$cur" "\${verbs[@]}" --help --version
    __pool_fit "$cur"
    return 0
  fi
  [ "$cword" -gt 2 ] && prev=\${words[cword-1]}
  # --flag=value: the value is completed, after the flag.
  if [[ $cur == --*=* ]]; then
    prev=\${cur%%=*}
    cur=\${cur#*=}
  fi
  local verb=\${words[1]} flags=() valueflags=() first="" files=0 i n=0
  case "$verb" in
${cases}
  *) return 0 ;;
  esac
  # The value of a flag that takes one.
  if [[ -n $prev && " \${valueflags[*]} " == *" $prev "* ]]; then
    case "$verb $prev" in
${valueCases}
    esac
    __pool_fit "$cur"
    return 0
  fi
  case "$cur" in
  -*)
    __pool_offer "" "$cur" "\${flags[@]}"
    __pool_fit "$cur"
    return 0
    ;;
  esac
  # Which argument this is: flags, and the values of those that take one, do not count.
  for ((i = 2; i < cword; i++)); do
    case "\${words[i]}" in
    --*=*) ;;
    -*)
      if [[ " \${valueflags[*]} " == *" \${words[i]} "* ]]; then ((i += 1)); fi
      ;;
    *) ((n += 1)) ;;
    esac
  done
  if [ "$first" = selection ] && [ "$n" -eq 0 ]; then
    __pool_hosts
  elif [ -n "$first" ] && [ "$n" -eq 0 ]; then
    __pool_one "$first"
  elif [ "$files" = 1 ]; then
    # A file name as typed may be quoted or escaped (my\\ fi, "my fi): compgen wants it bare,
    # and with -o filenames bash quotes the whole name it puts back.
    local bare=$cur
    case "$bare" in '"'*) bare=\${bare#'"'} ;; "'"*) bare=\${bare#"'"} ;; *) bare=\${bare//\\\\/} ;; esac
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$bare")
    return 0
  fi
  __pool_fit "$cur"
  return 0
}
# __pool_fit CUR: the replies complete CUR, the end of the word as typed; bash replaces only
# its own last word, which may be shorter (it starts after an @ or :) or longer (a lone =).
__pool_fit() {
  local own=\${COMP_WORDS[COMP_CWORD]} i
  # readline keeps a $ or @ just before that word in what it replaces (rl_special_prefixes).
  local line=\${COMP_LINE-}
  line=\${line:0:\${COMP_POINT:-0}}
  if [[ \${#line} -gt \${#own} && $own != [@\$]* ]]; then
    case "\${line:\${#line}-\${#own}-1:1}" in [@\$]) own=\${line:\${#line}-\${#own}-1:1}$own ;; esac
  fi
  local extra=$((\${#1} - \${#own}))
  for i in "\${!COMPREPLY[@]}"; do
    if [ "$extra" -gt 0 ]; then
      COMPREPLY[i]=\${COMPREPLY[i]:extra}
    elif [ "$extra" -lt 0 ]; then
      COMPREPLY[i]=\${own:0:-extra}\${COMPREPLY[i]}
    fi
  done
}
complete -F _pool pool
`;
}

export function zshCompletion(verbs: VerbSpec[]): string {
  const cases = verbs.map((v) =>
    [
      `  ${v.name})`,
      `    flags=(${quoteWords(plain([...v.flags, "--help"]))})`,
      `    valueflags=(${quoteWords(plain(v.valueFlags))})`,
      `    ${shellVars(v)}`,
      `    ;;`,
    ].join("\n")
  ).join("\n");
  const valueCases = verbs.flatMap((v) =>
    Object.entries(v.values).map(([flag, words]) =>
      `    "${v.name} ${flag}") ${
        words === "hosts" ? "__pool_hosts" : `__pool_items ${quoteWords(plain(words))}`
      } ;;`
    )
  ).join("\n");
  return `#compdef pool
# pool completion for zsh. Load it with: source <(pool completions zsh)   (after compinit)
# __pool_items WORD...: completes the last item of a comma list (after a leading !); what was
# typed before it moves to IPREFIX, kept as it is.
__pool_items() {
  # What was typed before the last item goes inside each match, never into IPREFIX: zsh puts
  # IPREFIX back as it is, so a \\! typed to keep history expansion away lost its backslash,
  # and Enter then ran whatever !web found in the history. compadd quotes a match itself.
  local head=""
  [[ $PREFIX == *,* ]] && head="\${PREFIX%,*},"
  [[ \${PREFIX##*,} == '!'* ]] && head+='!'
  compadd -- "\${@/#/$head}"
}
__pool_hosts() {
  local -a hosts
  hosts=(\${(f)"$(pool hosts --format complete 2>/dev/null)"})
  __pool_items "\${hosts[@]}"
}
# __pool_one name|host: one host's name, for a verb that refuses a selection.
__pool_one() {
  local -a names
  names=(\${(f)"$(pool hosts --format complete-$1 2>/dev/null)"})
  compadd -- "\${names[@]}"
}
_pool() {
  local -a verbs flags valueflags
  local first="" files=0 i n=0 prev=""
  verbs=(${quoteWords(plain(verbs.map((v) => v.name)))})
  if (( CURRENT == 2 )); then
    compadd -- $verbs --help --version
    return
  fi
  (( CURRENT > 3 )) && prev=\${words[CURRENT-1]}
  case \${words[2]} in
${cases}
  *) return ;;
  esac
  # --flag=value: the flag and its = stay as typed.
  if [[ $PREFIX == --*=* ]]; then
    prev=\${PREFIX%%=*}
    IPREFIX+="$prev="
    PREFIX=\${PREFIX#*=}
  fi
  # The value of a flag that takes one.
  if [[ -n $prev ]] && (( \${valueflags[(Ie)$prev]} )); then
    case "\${words[2]} $prev" in
${valueCases}
    esac
    return
  fi
  if [[ $PREFIX == -* ]]; then
    compadd -- $flags
    return
  fi
  # Which argument this is: flags, and the values of those that take one, do not count.
  for (( i = 3; i < CURRENT; i++ )); do
    case \${words[i]} in
    -*) (( \${valueflags[(Ie)\${words[i]}]} )) && (( i++ )) ;;
    *) (( n++ )) ;;
    esac
  done
  if [[ $first == selection ]] && (( n == 0 )); then
    __pool_hosts
  elif [[ -n $first ]] && (( n == 0 )); then
    __pool_one $first
  elif (( files )); then
    _files
  fi
}
# Autoloaded from fpath as _pool (its #compdef line), this file is the completion function
# itself: complete now. Sourced, it registers _pool.
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _pool "$@"
elif (( $+functions[compdef] )); then
  compdef _pool pool
fi
`;
}

export function fishCompletion(verbs: VerbSpec[]): string {
  const escape = (s: string) => s.replace(/[\\']/g, "\\$&");
  const specCases = verbs.map((v) =>
    [
      `        case ${v.name}`,
      `            set valueflags ${quoteWords(plain(v.valueFlags))}`,
      `            set first ${v.firstArg ?? "''"}`,
      `            set files ${v.files ? 1 : 0}`,
    ].join("\n")
  ).join("\n");
  const lines = [
    "# pool completion for fish. Load it with: pool completions fish | source",
    "complete -c pool -f",
    // __pool_items WORD...: the last item of a comma list (after a leading !), after what was
    // typed before it, which is kept as it is.
    "function __pool_items",
    // The token as typed holds its quotes and backslashes; fish quotes what is offered again.
    "    set -l typed (commandline -ct | string unescape)",
    "    set -l head (string match -r -- '^.*,' $typed)",
    "    set -l last (string replace -r -- '^.*,' '' $typed)",
    "    string match -q -- '!*' $last; and set head \"$head!\"",
    "    for word in $argv",
    "        printf '%s\\n' \"$head$word\"",
    "    end",
    "end",
    "function __pool_hosts",
    "    __pool_items (pool hosts --format complete 2>/dev/null)",
    "end",
    // __pool_one name|host: one host's name, for a verb that refuses a selection.
    "function __pool_one",
    "    pool hosts --format complete-$argv[1] 2>/dev/null",
    "end",
    // The verb is the word after pool, never a later one (`pool push all list --` is push's).
    "function __pool_verb_is",
    "    set -l words (commandline -opc)",
    '    test (count $words) -ge 2 -a "$words[2]" = "$argv[1]"',
    "end",
    // __pool_wants hosts|files: whether the word being typed is a host verb's first argument, or
    // a command word; flags and the values of those that take one do not count as arguments.
    "function __pool_wants",
    "    set -l words (commandline -opc)",
    "    test (count $words) -ge 2; or return 1",
    "    set -l valueflags",
    "    set -l first ''",
    "    set -l files 0",
    "    switch $words[2]",
    specCases,
    "        case '*'",
    "            return 1",
    "    end",
    "    contains -- $words[-1] $valueflags; and return 1",
    "    set -l n 0",
    "    set -l skip 0",
    "    if test (count $words) -ge 3",
    "        for word in $words[3..-1]",
    "            if test $skip = 1",
    "                set skip 0",
    "            else if string match -q -- '-*' $word",
    "                contains -- $word $valueflags; and set skip 1",
    "            else",
    "                set n (math $n + 1)",
    "            end",
    "        end",
    "    end",
    // hosts: a selection; name, host: one host by name; files: the words after the host.
    "    switch $argv[1]",
    "        case files",
    "            test $files = 1; or return 1",
    '            test -z "$first" -o $n -ge 1',
    "        case hosts",
    '            test "$first" = selection -a $n = 0',
    "        case '*'",
    '            test "$first" = $argv[1] -a $n = 0',
    "    end",
    "end",
    ...verbs.map((v) =>
      `complete -c pool -n __fish_use_subcommand -a ${v.name} -d '${escape(v.description)}'`
    ),
    "complete -c pool -n __fish_use_subcommand -l help -l version",
  ];
  for (const v of verbs) {
    lines.push(`complete -c pool -n '__pool_verb_is ${v.name}' -l help`);
    // commander lists a short flag just before its long twin: ["-t", "--tty", "--json"].
    for (let i = 0; i < v.flags.length; i++) {
      const flag = v.flags[i];
      const twin = !flag.startsWith("--") && v.flags[i + 1]?.startsWith("--") ? v.flags[++i] : null;
      const long = flag.startsWith("--") ? flag : twin;
      const names = [
        ...(long ? [`-l ${long.slice(2)}`] : []),
        ...(!flag.startsWith("--") ? [`-s ${flag.slice(1)}`] : []),
      ];
      const key = long ?? flag;
      const values = v.values[key];
      const arg = !v.valueFlags.includes(key)
        ? ""
        : values === undefined
        ? " -x"
        : values === "hosts"
        ? " -x -a '(__pool_hosts)'"
        : ` -x -a '(__pool_items ${quoteWords(plain(values))})'`;
      lines.push(
        `complete -c pool -n '__pool_verb_is ${v.name}' ${names.join(" ")}${arg}`,
      );
    }
  }
  lines.push("complete -c pool -n '__pool_wants hosts' -a '(__pool_hosts)'");
  for (const kind of ["name", "host"]) {
    lines.push(`complete -c pool -n '__pool_wants ${kind}' -a '(__pool_one ${kind})'`);
  }
  lines.push("complete -c pool -n '__pool_wants files' -F");
  return lines.join("\n") + "\n";
}
