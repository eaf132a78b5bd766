// Errors as one line for a table cell or a JSON field: the name (unless plain Error) and the message's
// first line, at most 300 characters. The full messages stay in the log the bench prints as it goes.

export function errorLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return text.split('\n')[0].slice(0, 300);
}
