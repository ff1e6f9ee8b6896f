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
 * the host (`on`, `bg`) or after `route`, and for push's and pull's paths; tags
 * after `tag`'s host; job ids of the local job index for `kill`, `logs`, `wait`.
 * A flag that takes a value takes the next word with it, so `pool on --jobs 4
 * <Tab>` still completes a host; pool's flags end where the command begins, as
 * pool reads them, so `pool on h1 grep -x <Tab>` is grep's `-x`: files.
 */

export type FirstArg = "selection" | "name" | "host" | "job";
/**
 * What the words after the first argument are (every word, for a verb without one): a command
 * (file names; its options are its own, not pool's), local file names, tags, job ids.
 */
export type Rest = "command" | "files" | "tag" | "job";

export interface VerbSpec {
  name: string;
  description: string;
  /** Long and short flags: ["--sudo", "-t", "--tty"]. */
  flags: string[];
  /** The flags among them whose next word is their value. */
  valueFlags: string[];
  /** What a flag's value may be: fixed words, "hosts" for a host selection, or local "files". */
  values: Record<string, readonly string[] | "hosts" | "files">;
  /**
   * Its first argument: a selection (names, @tags, all, local, lists), one roster host by name,
   * one host by name or `local`; null for none. Each is a `pool hosts --format` for completion.
   */
  firstArg: FirstArg | null;
  /** What the words after that are (see Rest); null for nothing to offer. */
  rest: Rest | null;
}

const quoteWords = (words: readonly string[]) => words.join(" ");

/** The variables bash and zsh read for a verb: what its first argument is, and what follows. */
const shellVars = (v: VerbSpec) => `first=${v.firstArg ?? ""} rest=${v.rest ?? ""}`;

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
        words === "hosts"
          ? "__pool_hosts"
          : words === "files"
          ? "__pool_files; return 0"
          : `__pool_items "$cur" ${quoteWords(plain(words))}`
      } ;;`
    )
  ).join("\n");
  return `# pool completion for bash. Load it with: eval "$(pool completions bash)"
# Written for bash 3.2 as well (macOS's /bin/bash): no mapfile, no negative subscripts.
# __pool_offer PREFIX TYPED WORD...: each WORD that starts with TYPED, quoted, after PREFIX.
# Never compgen -W: it would run \$(...) found in a host name. Inside a quote the user opened
# (_pool's $quote), readline puts a word back as it is and closes the quote: a word that quote
# cannot hold as it is (a ' in '…; a " $ \` \\ or ! in "…) is left out, never inserted.
__pool_offer() {
  local prefix=$1 typed=$2 word quoted
  shift 2
  for word in "$@"; do
    [[ $word == "$typed"* ]] || continue
    if [ -z "$quote" ]; then
      printf -v quoted %q "$word"
      COMPREPLY+=("$prefix$quoted")
    elif [[ ($quote == "'" && $word != *"'"*) || ($quote == '"' && $word != *[\\"\\$\\\`\\\\!]*) ]]; then
      COMPREPLY+=("$prefix$word")
    fi
  done
}
# __pool_items TYPED WORD...: completes the last item of a comma list (after a leading ! or a
# \\! typed against history expansion), keeping what came before it as typed.
__pool_items() {
  local typed=$1 head="" bang=""
  shift
  case "$typed" in *,*) head="\${typed%,*},"; typed="\${typed##*,}" ;; esac
  case "$typed" in
  '!'*) bang="!"; typed="\${typed#!}" ;;
  '\\!'*) [ -z "$quote" ] && bang='\\!' && typed="\${typed#'\\!'}" ;;
  esac
  __pool_offer "$head$bang" "$typed" "$@"
}
__pool_hosts() {
  local words=() word
  while IFS= read -r word; do words+=("$word"); done < <(pool hosts --format complete 2>/dev/null)
  __pool_items "$cur" "\${words[@]}"
}
# __pool_one name|host|tag|job [NAME]: one roster host's name (a verb that refuses a selection),
# that or local, a tag (host NAME's alone, given one), a job id of the local job index.
__pool_one() {
  local words=() word
  while IFS= read -r word; do
    words+=("$word")
  done < <(pool hosts --format "complete-$1" -- "\${@:2}" 2>/dev/null)
  __pool_offer "" "$cur" "\${words[@]}"
}
# __pool_is_host WORD: whether WORD, as typed, names a host bg would run on (else it is a command).
__pool_is_host() {
  local bare=\${1//[\\\\\\"\\']/} word
  while IFS= read -r word; do
    [ "$word" = "$bare" ] && return 0
  done < <(pool hosts --format complete-host 2>/dev/null)
  return 1
}
# __pool_files: local file names (the shell's own completion). A remote host:path is no local
# file, and pool asks no host: nothing for it.
__pool_files() {
  local bare=$cur
  # As typed a name may be escaped (my\\ fi; in a quote, _pool took the quote off): compgen
  # wants it bare, and with -o filenames bash quotes the whole name it puts back.
  [ -z "$quote" ] && bare=\${bare//\\\\/}
  [[ $bare == [!/]*:* && \${bare%%:*} != */* ]] && return 0
  local name own=1
  if type -t compopt >/dev/null; then compopt -o filenames 2>/dev/null; else own=0; fi
  COMPREPLY=()
  while IFS= read -r name; do
    # No compopt (bash 3.2): quoted here, as -o filenames has bash do it, a folder with its /.
    if ((!own)) && [ -z "$quote" ]; then
      [ -d "$name" ] && name=$name/
      printf -v name %q "$name"
    fi
    COMPREPLY+=("$name")
  done < <(compgen -f -- "$bare")
  [ -z "$quote" ] && __pool_fit "$cur"
}
_pool() {
  # bash cuts words at COMP_WORDBREAKS (@ : = among them) as well as at spaces: pool on @g
  # would be the words @ and g. Work on words cut at spaces only, as typed; then hand bash
  # replies for the piece of the last word it is completing (its own COMP_WORDS word).
  local words=("\${COMP_WORDS[@]}") cword=$COMP_CWORD
  if [ -n "\${COMP_LINE+set}" ]; then
    # Glue back the pieces no whitespace separates in the line (bash's own words keep quotes
    # and backslashes: my\\ file stays one).
    local line=\${COMP_LINE:0:COMP_POINT} at=0 k piece left trimmed
    words=()
    for ((k = 0; k <= COMP_CWORD; k++)); do
      piece=\${COMP_WORDS[k]}
      left=\${line:at}
      trimmed=\${left#"\${left%%[![:space:]]*}"}
      if [[ $k -eq 0 || \${#trimmed} -ne \${#left} ]]; then words+=("$piece"); else words[\${#words[@]} - 1]+=$piece; fi
      at=$((at + \${#left} - \${#trimmed} + \${#piece}))
    done
    cword=$((\${#words[@]} - 1))
  fi
  local cur=\${words[cword]} quote=""
  # A word begun with a quote ('h, "my fi): readline completes what follows the quote, as one
  # piece whatever COMP_WORDBREAKS holds, and closes the quote itself.
  case "$cur" in "'"* | '"'*) quote=\${cur:0:1} cur=\${cur:1} ;; esac
  local verbs=(${quoteWords(plain(verbs.map((v) => v.name)))})
  COMPREPLY=()
  if [ "$cword" -eq 1 ]; then
    __pool_offer "" "$cur" "\${verbs[@]}" --help --version
    [ -z "$quote" ] && __pool_fit "$cur"
    return 0
  fi
  local verb=\${words[1]} flags=() valueflags=() first="" rest="" i word
  case "$verb" in
${cases}
  *) return 0 ;;
  esac
  # Which argument this is (n: those before it), and whether pool still reads its options here:
  # anywhere before a --, but a command's words are its own from its first one (pool on h1
  # grep -x: grep's -x). before: the arguments before a command (on: the host; bg: its host
  # only where the word names one, else the command starts there; route: none).
  local n=0 ended=0 own=0 before=0 value="" arg1="" rm=0
  [[ -n $first && $rest == command ]] && before=1
  for ((i = 2; i < cword && !own; i++)); do
    word=\${words[i]}
    if ((!ended)) && [[ $word == -?* ]]; then
      if [ "$word" = -- ]; then
        ended=1
      elif [ "$word" = --rm ]; then
        rm=1
      elif [[ " \${valueflags[*]} " == *" $word "* ]]; then
        # A flag that takes a value takes the next word with it: the word typed, if it is next.
        if ((i + 1 == cword)); then value=$word; else ((i += 1)); fi
      fi
      continue
    fi
    # pool on -- h1 -- cmd: a second -- right after the host only marks where the command starts.
    [[ $word == -- && $rest == command ]] && ((n == before && n > 0)) && continue
    ((n += 1))
    ((n == 1)) && arg1=$word
    if ((n == 1 && before)) && [ "$first" = host ] && ! __pool_is_host "$word"; then before=0; fi
    [[ $rest == command ]] && ((n > before)) && own=1
  done
  # --flag=value: the value is completed, after the flag.
  if ((!own && !ended)) && [ -z "$quote" ] && [[ $cur == --*=* ]]; then
    value=\${cur%%=*}
    cur=\${cur#*=}
    [[ " \${valueflags[*]} " == *" $value "* ]] || return 0
  fi
  # The value of a flag that takes one.
  if [ -n "$value" ]; then
    case "$verb $value" in
${valueCases}
    esac
    [ -z "$quote" ] && __pool_fit "$cur"
    return 0
  fi
  if ((!own && !ended)) && [ -z "$quote" ] && [[ $cur == -* ]]; then
    __pool_offer "" "$cur" "\${flags[@]}"
    __pool_fit "$cur"
    return 0
  fi
  if [ "$first" = selection ] && [ "$n" -eq 0 ]; then
    __pool_hosts
  elif [ -n "$first" ] && [ "$n" -eq 0 ]; then
    __pool_one "$first"
  elif [[ $rest == command || $rest == files ]]; then
    __pool_files
    return 0
  elif [[ $rest == tag && $rm == 1 ]]; then
    # tag NAME --rm: NAME's own tags, those it can remove (NAME as typed, its quotes off).
    __pool_one tag "\${arg1//[\\\\\\"\\']/}"
  elif [ -n "$rest" ]; then
    __pool_one "$rest"
  fi
  [ -z "$quote" ] && __pool_fit "$cur"
  return 0
}
# __pool_fit CUR: the replies complete CUR, the end of the word as typed; bash replaces only
# its own last word, which may be shorter (it starts after an @ or :) or longer (a lone =).
__pool_fit() {
  local own=\${COMP_WORDS[COMP_CWORD]} i
  # readline keeps a $ or @ just before that word in what it replaces (rl_special_prefixes).
  local line=\${COMP_LINE-}
  line=\${line:0:\${COMP_POINT:-0}}
  if [[ \${#line} -gt \${#own} && $own != [@\\$]* ]]; then
    case "\${line:\${#line}-\${#own}-1:1}" in [@\\$]) own=\${line:\${#line}-\${#own}-1:1}$own ;; esac
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
        words === "hosts"
          ? "__pool_hosts"
          : words === "files"
          ? "_files"
          : `__pool_items ${quoteWords(plain(words))}`
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
# __pool_one name|host|tag|job [NAME]: one roster host's name (a verb that refuses a selection),
# that or local, a tag (host NAME's alone, given one), a job id of the local job index.
__pool_one() {
  local -a names
  names=(\${(f)"$(pool hosts --format complete-$1 -- "\${@[2,-1]}" 2>/dev/null)"})
  compadd -- "\${names[@]}"
}
# __pool_is_host WORD: whether WORD, as typed, names a host bg would run on (else it is a command).
__pool_is_host() {
  local -a names
  names=(\${(f)"$(pool hosts --format complete-host 2>/dev/null)"})
  (( \${names[(Ie)\${(Q)1}]} ))
}
_pool() {
  local -a verbs flags valueflags
  local first="" rest="" word i n=0 ended=0 own=0 before=0 value="" arg1="" rm=0
  verbs=(${quoteWords(plain(verbs.map((v) => v.name)))})
  if (( CURRENT == 2 )); then
    compadd -- $verbs --help --version
    return
  fi
  case \${words[2]} in
${cases}
  *) return ;;
  esac
  # Which argument this is (n: those before it), and whether pool still reads its options here:
  # anywhere before a --, but a command's words are its own from its first one (pool on h1
  # grep -x: grep's -x). before: the arguments before a command (on: the host; bg: its host
  # only where the word names one, else the command starts there; route: none).
  [[ -n $first && $rest == command ]] && before=1
  for (( i = 3; i < CURRENT && !own; i++ )); do
    word=\${words[i]}
    if (( !ended )) && [[ $word == -?* ]]; then
      if [[ $word == -- ]]; then
        ended=1
      elif [[ $word == --rm ]]; then
        rm=1
      elif (( \${valueflags[(Ie)$word]} )); then
        # A flag that takes a value takes the next word with it: the word typed, if it is next.
        if (( i + 1 == CURRENT )); then value=$word; else (( i++ )); fi
      fi
      continue
    fi
    # pool on -- h1 -- cmd: a second -- right after the host only marks where the command starts.
    [[ $word == -- && $rest == command ]] && (( n == before && n > 0 )) && continue
    (( n++ ))
    (( n == 1 )) && arg1=$word
    if (( n == 1 && before )) && [[ $first == host ]] && ! __pool_is_host "$word"; then before=0; fi
    [[ $rest == command ]] && (( n > before )) && own=1
  done
  # --flag=value: the flag and its = stay as typed.
  if (( !own && !ended )) && [[ $PREFIX == --*=* ]]; then
    value=\${PREFIX%%=*}
    (( \${valueflags[(Ie)$value]} )) || return
    IPREFIX+="$value="
    PREFIX=\${PREFIX#*=}
  fi
  # The value of a flag that takes one.
  if [[ -n $value ]]; then
    case "\${words[2]} $value" in
${valueCases}
    esac
    return
  fi
  if (( !own && !ended )) && [[ $PREFIX == -* ]]; then
    compadd -- $flags
    return
  fi
  if [[ $first == selection ]] && (( n == 0 )); then
    __pool_hosts
  elif [[ -n $first ]] && (( n == 0 )); then
    __pool_one $first
  elif [[ $rest == (command|files) ]]; then
    _files
  elif [[ $rest == tag && $rm == 1 ]]; then
    # tag NAME --rm: NAME's own tags, those it can remove (NAME as typed, its quotes off).
    __pool_one tag "\${(Q)arg1}"
  elif [[ -n $rest ]]; then
    __pool_one $rest
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
      `            set first ${v.firstArg ?? "-"}`,
      `            set rest ${v.rest ?? "-"}`,
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
    // __pool_one name|host|tag|job: one roster host's name (a verb that refuses a selection),
    // that or local, a tag, a job id of the local job index. After tag NAME --rm, NAME's own
    // tags, those it can remove.
    "function __pool_one",
    "    set -l state (__pool_state)",
    '    if test $argv[1] = tag -a "$state[7]" = 1',
    "        set argv $argv $state[8..-1]",
    "    end",
    "    pool hosts --format complete-$argv[1] -- $argv[2..-1] 2>/dev/null",
    "end",
    // __pool_state: what the word being typed is, as lines: the verb, what its first argument
    // is, what the words after it are (VerbSpec), n (the arguments before this word), whether
    // pool reads its options here (1), the flag whose value this word is (- for none), whether
    // --rm was given (1), and the first argument, where there is one.
    // Options are pool's anywhere before a --, but a command's words are its own from its first
    // one (pool on h1 grep -x: grep's -x). before: the arguments before a command (on: the
    // host; bg: its host only where the word names one, else the command starts there). Every
    // complete line below asks it: it is worked out once for the words before the cursor.
    "function __pool_state",
    "    set -l words (commandline -opc)",
    "    test (count $words) -ge 2; or return 1",
    "    set -l key (string join \\n -- $words)",
    '    if test "$key" = "$__pool_state_key"',
    "        printf '%s\\n' $__pool_state_value",
    "        return",
    "    end",
    "    set -l valueflags",
    "    set -l first -",
    "    set -l rest -",
    "    switch $words[2]",
    specCases,
    "        case '*'",
    "            return 1",
    "    end",
    "    set -l n 0",
    "    set -l ended 0",
    "    set -l own 0",
    "    set -l before 0",
    "    set -l value -",
    "    set -l rm 0",
    "    set -l arg1",
    "    test $first != - -a $rest = command; and set before 1",
    "    set -l i 3",
    "    while test $i -le (count $words) -a $own = 0",
    "        set -l word $words[$i]",
    "        if test $ended = 0; and string match -q -- '-?*' $word",
    "            if test $word = --",
    "                set ended 1",
    "            else if test $word = --rm",
    "                set rm 1",
    "            else if contains -- $word $valueflags",
    "                if test $i = (count $words)",
    "                    set value $word",
    "                else",
    "                    set i (math $i + 1)",
    "                end",
    "            end",
    // pool on -- h1 -- cmd: a second -- right after the host only marks where the command starts.
    "        else if not test $word = -- -a $rest = command -a $n = $before -a $n -gt 0",
    "            set n (math $n + 1)",
    "            test $n = 1; and set arg1 $word",
    "            if test $n = 1 -a $before = 1 -a $first = host",
    "                contains -- $word (pool hosts --format complete-host 2>/dev/null); or set before 0",
    "            end",
    "            test $rest = command -a $n -gt $before; and set own 1",
    "        end",
    "        set i (math $i + 1)",
    "    end",
    "    set -l reads 0",
    "    test $own = 0 -a $ended = 0; and set reads 1",
    "    set -g __pool_state_key $key",
    "    set -g __pool_state_value $words[2] $first $rest $n $reads $value $rm $arg1",
    "    printf '%s\\n' $__pool_state_value",
    "end",
    // __pool_opts VERB: the verb is VERB (the word after pool, never a later one: `pool push
    // all list --` is push's), and pool reads its options here.
    "function __pool_opts",
    "    set -l words (commandline -opc)",
    '    test (count $words) -ge 2 -a "$words[2]" = "$argv[1]"; or return 1',
    "    set -l state (__pool_state); or return 1",
    "    test $state[5] = 1",
    "end",
    // __pool_wants hosts|name|host|tag|job|files: whether the word being typed is that: a
    // selection, one host, a tag, a job id, a file name; never a flag's value (the flag's own).
    "function __pool_wants",
    "    set -l state (__pool_state); or return 1",
    "    test $state[6] = -; or return 1",
    "    set -l first $state[2]",
    "    set -l rest $state[3]",
    "    if test $state[4] = 0 -a $first != -",
    "        test $argv[1] = $first -o $argv[1] = hosts -a $first = selection",
    "        return",
    "    end",
    // A remote host:path is no local file, and pool asks no host: nothing for it.
    "    if test $argv[1] = files; and string match -qr -- '^[^/:]+:' (commandline -ct | string unescape)",
    "        return 1",
    "    end",
    "    test $argv[1] = $rest -o $argv[1] = files -a $rest = command",
    "end",
    ...verbs.map((v) =>
      `complete -c pool -n __fish_use_subcommand -a ${v.name} -d '${escape(v.description)}'`
    ),
    "complete -c pool -n __fish_use_subcommand -l help -l version",
  ];
  for (const v of verbs) {
    lines.push(`complete -c pool -n '__pool_opts ${v.name}' -l help`);
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
        : values === "files"
        ? " -r -F"
        : ` -x -a '(__pool_items ${quoteWords(plain(values))})'`;
      lines.push(
        `complete -c pool -n '__pool_opts ${v.name}' ${names.join(" ")}${arg}`,
      );
    }
  }
  lines.push("complete -c pool -n '__pool_wants hosts' -a '(__pool_hosts)'");
  for (const kind of ["name", "host", "tag", "job"]) {
    lines.push(`complete -c pool -n '__pool_wants ${kind}' -a '(__pool_one ${kind})'`);
  }
  lines.push("complete -c pool -n '__pool_wants files' -F");
  return lines.join("\n") + "\n";
}
