import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Request, RequestHandler, Response, Router } from 'express';
import type { Logger } from '../observability/logger.js';
import { accountView } from './account-page.view.js';
import { adminView } from './admin-page.view.js';
import type { ViewContext } from './auth-pages.view.js';
import {
  EMAIL_LINK_TITLES,
  magicLinkView,
  resetPasswordView,
  signInView,
  signUpView,
  verifyEmailView,
} from './auth-pages.view.js';
import {
  EMAIL_CHANGE_TITLES,
  confirmEmailChangeView,
  undoEmailChangeView,
} from './email-change-pages.view.js';
import { layout, redirectRefusedNotice } from './html.js';
import { allowedRedirect, normalizeOrigins } from './redirect.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where `npm run build` puts the page bundles: beside this module once compiled
 * (dist/src/pages/assets), and the same place in dist/ when running from source (tsx, vitest).
 */
export const DEFAULT_PAGE_ASSETS_DIR = here.endsWith(`${sep}dist${sep}src${sep}pages`)
  ? join(here, 'assets')
  : resolve(here, '../../dist/src/pages/assets');

export interface PageRoutesOptions {
  assetsDir: string;
  /** CORS_ORIGINS: the only origins a `redirect` parameter may point to. */
  redirectOrigins: readonly string[];
  logger: Logger;
}

interface PageDefinition {
  path: string;
  title: (context: ViewContext) => string;
  script: string;
  view: (context: ViewContext) => string;
}

const PAGES: PageDefinition[] = [
  { path: '/sign-up', title: () => 'Create your account', script: 'sign-up', view: signUpView },
  { path: '/sign-in', title: () => 'Sign in', script: 'sign-in', view: signInView },
  {
    path: '/verify-email',
    title: ({ hasToken }) => EMAIL_LINK_TITLES.verifyEmail[hasToken ? 'landing' : 'request'],
    script: 'verify-email',
    view: verifyEmailView,
  },
  {
    path: '/reset-password',
    title: ({ hasToken }) => EMAIL_LINK_TITLES.resetPassword[hasToken ? 'landing' : 'request'],
    script: 'reset-password',
    view: resetPasswordView,
  },
  {
    path: '/magic-link',
    title: ({ hasToken }) => EMAIL_LINK_TITLES.magicLink[hasToken ? 'landing' : 'request'],
    script: 'magic-link',
    view: magicLinkView,
  },
  { path: '/account', title: () => 'Your account', script: 'account', view: accountView },
  // changeEmail's links (issue 21): one script for both landings.
  {
    path: '/confirm-email-change',
    title: () => EMAIL_CHANGE_TITLES.confirm,
    script: 'email-change',
    view: confirmEmailChangeView,
  },
  {
    path: '/undo-email-change',
    title: () => EMAIL_CHANGE_TITLES.undo,
    script: 'email-change',
    view: undoEmailChangeView,
  },
  // The page holds no user data: its script asks the API, which refuses anyone but an admin with MFA.
  { path: '/admin', title: () => 'Administration', script: 'admin', view: adminView },
];

/** The hosted pages and their prebuilt scripts and styles (bundled by `npm run build`, never per request). */
export function pageRoutes(options: PageRoutesOptions): Router {
  const router = express.Router();
  const origins = normalizeOrigins(options.redirectOrigins);
  if (!existsSync(join(options.assetsDir, 'pages.css'))) {
    options.logger.warn(
      { assetsDir: options.assetsDir },
      'page scripts are not built: run `npm run build` (the hosted pages will not work)',
    );
  }

  router.use(
    '/assets',
    express.static(options.assetsDir, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      // Unhashed file names: the browser revalidates (ETag) so a new build is picked up at once.
      setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
    }),
  );

  for (const page of PAGES) router.get(page.path, renderPage(page, origins));
  // The entry: the account page itself asks the API whether there is a session and, if not, says so
  // with a link to sign in. The server cannot tell here: the refresh cookie is only sent to /graphql.
  router.get('/', (_req: Request, res: Response) => res.redirect(302, '/account'));
  return router;
}

function renderPage(page: PageDefinition, origins: readonly string[]): RequestHandler {
  return (req: Request, res: Response) => {
    const requested = req.query.redirect;
    // An array (?redirect=a&redirect=b) is refused like any other unusable value.
    const redirect = allowedRedirect(typeof requested === 'string' ? requested : null, origins);
    const refused = requested !== undefined && redirect === null;
    const token = req.query.token;
    const context: ViewContext = { redirect, hasToken: typeof token === 'string' && token !== '' };
    const main = (refused ? redirectRefusedNotice() : '') + page.view(context);
    // A legacy address may carry a one-time token in its query: neither the browser nor a proxy keeps a copy.
    res.setHeader('Cache-Control', 'no-store');
    res
      .status(refused ? 400 : 200)
      .type('html')
      .send(layout({ title: page.title(context), script: page.script, main, redirectOrigins: origins }));
  };
}
