// better-auth's React client (browser side): its session, asked again every 5 seconds at
// GET /api/auth/get-session.
import { createAuthClient } from 'better-auth/react';

export const authClient = createAuthClient({ sessionOptions: { refetchInterval: 5 } });
