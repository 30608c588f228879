/**
 * Accessible form behaviour shared by every page: field errors linked with aria-describedby,
 * an error summary that takes focus, a busy state, and the polite status region.
 */

export interface FormProblem {
  /** The input the problem is about (its id), or none for a problem of the whole form. */
  field?: string;
  message: string;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

export function maybeById<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/**
 * Says something in the page's live region (read out by screen readers). With `focus`, focus moves
 * there too: for when the form that had focus has just been hidden.
 */
export function announce(message: string, options: { focus?: boolean } = {}): void {
  const region = maybeById('status');
  if (!region) return;
  region.textContent = message;
  if (options.focus) region.focus();
}

export class FormController {
  readonly form: HTMLFormElement;

  constructor(formId: string) {
    this.form = byId<HTMLFormElement>(formId);
  }

  value(fieldId: string): string {
    return byId<HTMLInputElement>(fieldId).value;
  }

  /** Removes every error shown by an earlier submit. */
  clear(): void {
    for (const input of Array.from(this.form.querySelectorAll<HTMLInputElement>('input[aria-invalid]'))) {
      input.removeAttribute('aria-invalid');
      const errorId = `${input.id}-error`;
      const describedBy = (input.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .filter((id) => id && id !== errorId);
      if (describedBy.length) input.setAttribute('aria-describedby', describedBy.join(' '));
      else input.removeAttribute('aria-describedby');
    }
    for (const error of Array.from(this.form.querySelectorAll<HTMLElement>('.field-error'))) {
      error.textContent = '';
      error.hidden = true;
    }
    const summary = maybeById(`${this.form.id}-errors`);
    if (summary) {
      summary.hidden = true;
      summary.querySelector('ul')?.replaceChildren();
    }
  }

  /** Shows the problems next to their fields and in the summary, and moves focus to the summary. */
  showProblems(problems: FormProblem[]): void {
    this.clear();
    const summary = byId(`${this.form.id}-errors`);
    const list = summary.querySelector('ul') as HTMLUListElement;
    for (const problem of problems) {
      const item = document.createElement('li');
      if (problem.field) {
        this.markField(problem.field, problem.message);
        const link = document.createElement('a');
        link.href = `#${problem.field}`;
        link.textContent = problem.message;
        link.addEventListener('click', (event) => {
          event.preventDefault();
          byId(problem.field as string).focus();
        });
        item.append(link);
      } else {
        item.textContent = problem.message;
      }
      list.append(item);
    }
    summary.hidden = false;
    summary.focus();
  }

  private markField(fieldId: string, message: string): void {
    const input = byId<HTMLInputElement>(fieldId);
    const error = byId(`${fieldId}-error`);
    error.textContent = message;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    const describedBy = (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
    if (!describedBy.includes(error.id))
      input.setAttribute('aria-describedby', [...describedBy, error.id].join(' '));
  }

  /** Disables the form's buttons while a request runs (no double submits) and says so to assistive tech. */
  async busy<T>(work: () => Promise<T>): Promise<T> {
    const buttons = Array.from(this.form.querySelectorAll<HTMLButtonElement>('button'));
    this.form.setAttribute('aria-busy', 'true');
    for (const button of buttons) button.disabled = true;
    try {
      return await work();
    } finally {
      this.form.removeAttribute('aria-busy');
      for (const button of buttons) button.disabled = false;
    }
  }

  /** Runs `handler` on submit (keyboard Enter included); the page never reloads. */
  onSubmit(handler: () => Promise<void>): void {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.busy(handler);
    });
  }

  show(): void {
    this.form.hidden = false;
  }

  hide(): void {
    this.form.hidden = true;
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The checks a browser can make before asking the server; the server checks everything again. */
export function requireEmail(fieldId: string, value: string, problems: FormProblem[]): void {
  if (value.trim() === '') problems.push({ field: fieldId, message: 'Enter your email address.' });
  else if (!EMAIL.test(value.trim()))
    problems.push({ field: fieldId, message: 'Enter an email address like name@example.com.' });
}

export function requireValue(fieldId: string, value: string, message: string, problems: FormProblem[]): void {
  if (value.trim() === '') problems.push({ field: fieldId, message });
}
