// A page's refusals shown under its own section of the navigation: an API error a page cannot go on
// without (kit.read's PageError) becomes the error page with that section current. A 401 is left to the
// console's router, which sends the viewer to log in (src/console/index.ts).
import type { Section } from '../html'
import { errorPage, PageError, type ConsoleContext } from '../kit'

export function inSection(section: Section, handle: (ctx: ConsoleContext) => Promise<Response>) {
  return async (ctx: ConsoleContext): Promise<Response> => {
    try {
      return await handle(ctx)
    } catch (error) {
      if (error instanceof PageError && error.status !== 401) return errorPage(ctx, error.status, error.message, section)
      throw error
    }
  }
}
