// Package termsafe escapes strings from traffic and files (server names,
// certificate names, file names, configuration values) before they are
// printed for a person to read: a crafted value must not move the cursor,
// clear the screen, retitle the window, forge a line or reorder the text
// around it (newlines, ANSI escape sequences, C1 controls, bidirectional
// overrides). JSON outputs escape for themselves; this is for the text
// ones: summaries, problems, check-config.
package termsafe
