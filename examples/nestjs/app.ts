// Builds the NestJS example on either of Nest's HTTP platforms, with the session library of
// that platform and a server-side session store (in memory here). Not listening yet: main.ts
// listens; a test may `init()` it and use `getHttpServer()`.

import 'reflect-metadata';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import expressSession from 'express-session';
import { guardSessionStore as guardExpressStore } from 'session-security/express';
import { guardSessionStore as guardFastifyStore } from 'session-security/fastify';
import { AppModule, type SecurityOptions } from './app.module.js';

export interface AppOptions {
  platform: 'express' | 'fastify';
  /** The session cookie's secret (@fastify/session wants at least 32 characters). */
  sessionSecret?: string;
  /** session-security's options besides the example's (expireAfter, warnAfter; a clock in tests). */
  security?: SecurityOptions;
  /** Nest's own log levels; default warnings and errors. */
  logger?: ('log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal')[];
}

const cookie = { httpOnly: true, sameSite: 'lax', secure: 'auto' } as const;

export async function createApp({
  platform,
  sessionSecret = 'change me: a secret of at least 32 characters',
  security,
  logger = ['error', 'warn'],
}: AppOptions): Promise<INestApplication> {
  const module = AppModule.withOptions(security);
  if (platform === 'fastify') {
    const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), {
      logger,
    });
    // Before Nest adds its routes and session-security its hooks (at init): the session is read
    // first. The store is wrapped so that an outage is a quick 503, never an anonymous visitor.
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: sessionSecret,
      saveUninitialized: false,
      cookie,
      store: guardFastifyStore(new fastifySession.MemoryStore(), { timeout: 1000 }),
    });
    return app;
  }
  const app = await NestFactory.create<NestExpressApplication>(module, { logger });
  app.disable('x-powered-by');
  app.use(
    expressSession({
      secret: sessionSecret,
      resave: false,
      saveUninitialized: false,
      // A session cookie (no max-age): it ends with the browser; the server ends it sooner.
      cookie,
      store: guardExpressStore(new expressSession.MemoryStore(), { timeout: 1000 }),
    }),
  );
  return app;
}
