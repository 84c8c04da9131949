// The style sheet is imported as text (`with { type: 'text' }`) so the compiled binary carries it.
declare module '*.css' {
  const text: string
  export default text
}
