// The shell scripts `handoff completion <shell>` prints. Each asks
// `handoff complete-args <shell> <words before the cursor…> -- <current word>` for the values
// (one per line), so completion knows the runs, devices and plugins of the moment.

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = typeof SHELLS[number];

const BASH = `# handoff completion for bash: source it, or put it in
# ~/.local/share/bash-completion/completions/handoff (\`handoff init --completions\` does).
_handoff() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  COMPREPLY=($(command handoff complete-args bash "\${COMP_WORDS[@]:1:COMP_CWORD-1}" -- "$cur" 2>/dev/null))
  if [ \${#COMPREPLY[@]} -eq 0 ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _handoff handoff
`;

const ZSH = `#compdef handoff
# handoff completion for zsh: put it on $fpath as _handoff (\`handoff init --completions\`).
_handoff() {
  local -a values
  values=("\${(@f)$(command handoff complete-args zsh "\${(@)words[2,CURRENT-1]}" -- "\${words[CURRENT]}" 2>/dev/null)}")
  if (( \${#values} )) && [[ -n "\${values[1]}" ]]; then
    compadd -Q -- "\${values[@]}"
  else
    _files
  fi
}
compdef _handoff handoff
`;

const FISH = `# handoff completion for fish: ~/.config/fish/completions/handoff.fish
# (\`handoff init --completions\` puts it there).
function __handoff_complete
  set -l words (commandline -opc)
  command handoff complete-args fish $words[2..-1] -- (commandline -ct) 2>/dev/null
end
complete -c handoff -f -a '(__handoff_complete)'
`;

export function completionScript(shell: Shell): string {
  return shell === "bash" ? BASH : shell === "zsh" ? ZSH : FISH;
}
