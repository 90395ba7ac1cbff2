import { LiveRelayError } from "./errors";

/** What a list endpoint answers: one page of items and the cursor of the next (null on the last). */
export interface PageBody<T> {
  items: T[];
  nextCursor: string | null;
}

/** Fetches the page that starts at `cursor` (the first page when undefined). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<PageBody<T>>;

/**
 * One page of a list: `items` and `nextCursor` as the API sent them, plus `hasNextPage()` /
 * `getNextPage()`. Iterating it with `for await` yields every item of this page and the ones after.
 */
export class Page<T> implements PageBody<T>, AsyncIterable<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
  // Private fields (#), so that a page's own properties are what the API sent.
  readonly #fetcher: PageFetcher<T>;
  /** The cursor this page was fetched with: a server answering the same one again ends the list. */
  readonly #cursor: string | undefined;

  constructor(fetcher: PageFetcher<T>, body: PageBody<T>, cursor: string | undefined) {
    this.items = body.items;
    this.nextCursor = body.nextCursor;
    this.#fetcher = fetcher;
    this.#cursor = cursor;
  }

  hasNextPage(): boolean {
    return this.nextCursor !== null && this.nextCursor !== this.#cursor;
  }

  /** The next page; throws LiveRelayError on the last one (check `hasNextPage()` first). */
  async getNextPage(): Promise<Page<T>> {
    if (!this.hasNextPage()) throw new LiveRelayError("this is the last page: check hasNextPage() before getNextPage()");
    return fetchPage(this.#fetcher, this.nextCursor!);
  }

  /** This page and every page after it. */
  async *iterPages(): AsyncGenerator<Page<T>, void, undefined> {
    yield this;
    let next = this.hasNextPage() ? await this.getNextPage() : undefined;
    while (next) {
      yield next;
      next = next.hasNextPage() ? await next.getNextPage() : undefined;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.iterPages()) yield* page.items;
  }

  /** `JSON.stringify(page)` shows what the API sent. */
  toJSON(): PageBody<T> {
    return { items: this.items, nextCursor: this.nextCursor };
  }
}

async function fetchPage<T>(fetcher: PageFetcher<T>, cursor: string | undefined): Promise<Page<T>> {
  return new Page(fetcher, await fetcher(cursor), cursor);
}

/**
 * What `list()` returns: `await` it for the first page, or `for await` over it for every item of
 * every page. A real Promise (so it goes wherever one does), but lazy: the request starts on the
 * first `then` or iteration, only once, so an unused one cannot leave an unhandled rejection behind.
 */
export class PagePromise<T> extends Promise<Page<T>> implements AsyncIterable<T> {
  #first: Promise<Page<T>> | undefined;
  readonly #fetcher: PageFetcher<T>;
  readonly #startCursor: string | undefined;

  // Promise methods that create a promise (then, catch, finally) make plain ones, not PagePromises.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  constructor(fetcher: PageFetcher<T>, startCursor: string | undefined) {
    // The executor settles the base promise at once; it is never observed: then() is overridden.
    super((resolve) => resolve(undefined as unknown as Page<T>));
    this.#fetcher = fetcher;
    this.#startCursor = startCursor;
  }

  #page(): Promise<Page<T>> {
    this.#first ??= fetchPage(this.#fetcher, this.#startCursor);
    return this.#first;
  }

  override then<R1 = Page<T>, R2 = never>(
    onfulfilled?: ((value: Page<T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#page().then(onfulfilled, onrejected);
  }

  override catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<Page<T> | R> {
    return this.#page().catch(onrejected);
  }

  override finally(onfinally?: (() => void) | null): Promise<Page<T>> {
    return this.#page().finally(onfinally);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    yield* await this.#page();
  }
}
