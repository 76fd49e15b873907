/**
 * A console session driven over plain HTTP, as a browser would: the form login, the session
 * cookie, the CSRF token from a page, and form posts with an Origin header. Redirects are not
 * followed, so tests see each 303 and its Set-Cookie.
 */
export type ConsoleHttpSession = { cookie: string; csrf: string }

export async function consoleLogin(
  baseUrl: string,
  key: string,
  headers: Record<string, string> = {},
): Promise<{ response: Response; session: ConsoleHttpSession | undefined }> {
  const response = await postForm(baseUrl, '/console/login', { key, next: '/console' }, { headers })
  const setCookie = response.headers.get('set-cookie') ?? ''
  const cookie = /^([^=]+=[^;]+)/.exec(setCookie)?.[1]
  if (response.status !== 303 || !cookie) return { response, session: undefined }
  const page = await getPage(baseUrl, '/console/kill-switch', { cookie, headers })
  return { response, session: { cookie, csrf: csrfOf(await page.text()) } }
}

export function csrfOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1]
  if (!token) throw new Error('no CSRF token in the page')
  return token
}

export function getPage(
  baseUrl: string,
  path: string,
  options: { cookie?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    redirect: 'manual',
    headers: { ...(options.cookie ? { cookie: options.cookie } : {}), ...options.headers },
  })
}

/** Posts a urlencoded form; the Origin is the gateway's own unless one is given (or null for none). */
export function postForm(
  baseUrl: string,
  path: string,
  fields: Record<string, string>,
  options: { cookie?: string; origin?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
  const origin = options.origin === undefined ? new URL(baseUrl).origin : options.origin
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(origin === null ? {} : { origin }),
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...options.headers,
    },
    body: new URLSearchParams(fields).toString(),
  })
}
