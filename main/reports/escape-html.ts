// escapeHtml: text made safe to place in HTML or SVG element content and in quoted attribute
// values (& < > " '). Every string a report writes that came from data (device names, file paths,
// error messages, job specs) goes through it. Not a sanitizer for HTML markup: there is none to keep.

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
