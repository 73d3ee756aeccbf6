export default async function outside() {
  return { outside: typeof process.permission?.has === 'function' };
}
