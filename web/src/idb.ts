// A few promise helpers over IndexedDB: the one place a claim waits while the signal is gone.
// Receipts are stored as ArrayBuffers (Blobs in IndexedDB were unreliable on older WebViews).
const DB_NAME = 'claims-web';
const DB_VERSION = 1;
export const DRAFTS = 'drafts';

let opening: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(DRAFTS)) {
        request.result.createObjectStore(DRAFTS, { keyPath: 'id' });
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      opening = undefined;
      reject(request.error ?? new Error('IndexedDB is not available'));
    };
  });
  return opening;
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

async function store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
  return (await open()).transaction(DRAFTS, mode).objectStore(DRAFTS);
}

export async function idbAll<T>(): Promise<T[]> {
  return done((await store('readonly')).getAll() as IDBRequest<T[]>);
}

export async function idbGet<T>(id: string): Promise<T | undefined> {
  return done((await store('readonly')).get(id) as IDBRequest<T | undefined>);
}

export async function idbPut<T>(value: T): Promise<void> {
  await done((await store('readwrite')).put(value));
}

export async function idbDelete(id: string): Promise<void> {
  await done((await store('readwrite')).delete(id));
}
