// Runs once when the server starts: creates better-auth's tables (Node.js runtime only).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { migrate } = await import('./lib/auth.js');
  await migrate();
}
