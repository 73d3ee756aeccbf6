/**
 * Type-level helpers for the builder: JSON pointers of an argument type, the
 * value type at a pointer, and the condition tests that make sense for it, so
 * that a condition on a field that does not exist is a compile error.
 */
import type { Condition } from './schema.js';

/** The part of the Standard Schema interface (zod 4, valibot, arktype) the builder reads: the input type. */
export interface StandardSchemaLike<Input = unknown> {
  readonly '~standard': { readonly types?: { readonly input: Input } | undefined };
}

/** The input type of a Standard Schema. */
export type InputOf<S> = S extends { readonly '~standard': { readonly types?: infer T } }
  ? NonNullable<T> extends { readonly input: infer I }
    ? I
    : unknown
  : unknown;

type EscapeTilde<K extends string> = K extends `${infer A}~${infer B}` ? `${A}~0${EscapeTilde<B>}` : K;
type EscapeSlash<K extends string> = K extends `${infer A}/${infer B}` ? `${A}~1${EscapeSlash<B>}` : K;
/** RFC 6901 §3 escaping of one reference token. */
type Escape<K extends string> = EscapeSlash<EscapeTilde<K>>;
type UnescapeSlash<K extends string> = K extends `${infer A}~1${infer B}` ? `${A}/${UnescapeSlash<B>}` : K;
type UnescapeTilde<K extends string> = K extends `${infer A}~0${infer B}` ? `${A}~${UnescapeTilde<B>}` : K;
type Unescape<K extends string> = UnescapeTilde<UnescapeSlash<K>>;

type Depth = [never, 0, 1, 2, 3, 4, 5];

/** Every JSON pointer into `T` (to depth 6), e.g. `'/amount' | '/to' | '/to/${number}'`. */
export type Pointers<T, D extends number = 6> = [D] extends [never]
  ? never
  : T extends readonly (infer E)[]
    ? `/${number}` | `/${number}${Pointers<NonNullable<E>, Depth[D]>}`
    : T extends Record<string, unknown>
      ? {
          [K in keyof T & string]-?: `/${Escape<K>}` | `/${Escape<K>}${Pointers<NonNullable<T[K]>, Depth[D]>}`;
        }[keyof T & string]
      : never;

type Child<T, K extends string> = T extends readonly (infer E)[]
  ? E
  : Unescape<K> extends keyof T
    ? T[Unescape<K>]
    : never;

/** The type of the value at pointer `P` inside `T`. */
export type ValueAt<T, P extends string> = P extends `/${infer Head}/${infer Rest}`
  ? ValueAt<NonNullable<Child<T, Head>>, `/${Rest}`>
  : P extends `/${infer Head}`
    ? Child<T, Head>
    : never;

type StringTests = Pick<
  Condition,
  'glob' | 'regex' | 'regexFlags' | 'minLength' | 'maxLength' | 'pathPrefix' | 'pathStyle' | 'urlHost' | 'urlIp' | 'ip'
>;
type NumberTests = Pick<Condition, 'min' | 'max'>;
type ArrayTests = Pick<Condition, 'minItems' | 'maxItems'>;

/** The condition tests that apply to a value of type `V`. */
export type ConditionFor<V> = Readonly<
  { eq?: V; in?: readonly V[]; exists?: boolean } & ([V] extends [string]
    ? StringTests
    : [V] extends [number]
      ? NumberTests
      : [V] extends [readonly unknown[]]
        ? ArrayTests
        : Record<never, never>)
>;

/** Argument conditions typed from `Args`; untyped (any pointer, any test) when `Args` is unknown. */
export type WhenFor<Args> = unknown extends Args
  ? Readonly<Record<string, Condition>>
  : { readonly [P in Pointers<Args>]?: ConditionFor<NonNullable<ValueAt<Args, P>>> };
