// Setting keys (core/store.ts `settings`) shared by the gate and the commands.
export const SETTING = {
  /** Absolute tmux binary, resolved at setup/pair time (sshd's PATH is minimal). */
  tmuxPath: "tmux.path",
  /** `-S` socket of the tmux server phones use; unset: the user's default server. */
  tmuxSocket: "tmux.socket",
  /** The authorized_keys file new devices go to (default ~/.ssh/authorized_keys). */
  authorizedKeys: "sshd.authorized_keys",
} as const;
