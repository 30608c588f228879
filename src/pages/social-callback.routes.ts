import express from 'express';
import type { Request, Response, Router } from 'express';
import type { EntityManager } from '@mikro-orm/core';
import type { SocialSignInService } from '../auth/social/social-sign-in.service.js';
import type { Logger } from '../observability/logger.js';

/**
 * GET /oauth/callback/:provider (and POST, for providers answering with form_post, like Apple).
 * Always a redirect to the app's redirectTo with `#code=…`, `#link_code=…` or `#error=<code>`; only
 * when not even the request is known (no or unknown state) a 400 with the code, never a stack or
 * the provider's own text.
 */
export function socialCallbackRoutes(
  social: SocialSignInService,
  fork: () => EntityManager,
  logger: Logger,
): Router {
  const router = express.Router();
  const handle = async (req: Request, res: Response, params: URLSearchParams): Promise<void> => {
    res.set('Cache-Control', 'no-store');
    res.set('Referrer-Policy', 'no-referrer');
    try {
      const answer = await social.callback(fork(), String(req.params.provider), params);
      if (answer.redirect) {
        res.redirect(303, answer.redirect);
        return;
      }
      res.status(400).json({ error: answer.error });
    } catch (error) {
      logger.error({ err: error }, 'social sign-in callback failed');
      res.status(500).json({ error: 'server_error' });
    }
  };
  router.get('/oauth/callback/:provider', (req, res) => {
    const query = new URL(req.originalUrl, 'http://callback').searchParams;
    void handle(req, res, query);
  });
  router.post(
    '/oauth/callback/:provider',
    express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }),
    (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(body)) if (typeof value === 'string') params.set(key, value);
      void handle(req, res, params);
    },
  );
  return router;
}
