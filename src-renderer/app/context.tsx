import { createContext, useContext } from "react";
import { useStore } from "zustand";
import type { StoreApi } from "zustand/vanilla";
import type { Renderer } from "./renderer.js";

export const RendererContext = createContext<Renderer | null>(null);

export function useRenderer(): Renderer {
  const r = useContext(RendererContext);
  if (r === null) throw new Error("useRenderer outside <RendererContext.Provider>");
  return r;
}

type Stores = Renderer["stores"];
type StateOf<K extends keyof Stores> = Stores[K] extends StoreApi<infer S> ? S : never;

/** Subscribes a component to one store of the renderer, through a selector. */
export function useRendererStore<K extends keyof Stores, T>(key: K, selector: (s: StateOf<K>) => T): T {
  const store = useRenderer().stores[key] as unknown as StoreApi<StateOf<K>>;
  return useStore<StoreApi<StateOf<K>>, T>(store, selector);
}

export const useActions = (): Renderer["actions"] => useRenderer().actions;
