import ts from 'typescript';

/** A property of a TypeScript object type as the checker sees it: optional or not, and its type. */
export interface PropertyShape {
  optional: boolean;
  /** The type printed, `undefined` removed from optional ones. */
  type: string;
  /** Members of a union of string literals (an enum), sorted; undefined otherwise. */
  literals?: string[];
}

/** The object types named in `names`, read from `file` with the TypeScript checker. */
export function typeShapes(file: string, names: string[]): Record<string, Record<string, PropertyShape>> {
  const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`cannot read ${file}`);
  const exports = new Map(checker.getExportsOfModule(module).map((s) => [s.name, s]));
  const shapes: Record<string, Record<string, PropertyShape>> = {};
  for (const name of names) {
    const symbol = exports.get(name);
    if (!symbol) throw new Error(`${file} does not export ${name}`);
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const shape: Record<string, PropertyShape> = {};
    for (const property of checker.getPropertiesOfType(type)) {
      const declared = checker.getNonNullableType(checker.getTypeOfSymbol(property));
      const members = declared.isUnion() ? declared.types : [declared];
      const literals = members.every((m) => m.isStringLiteral())
        ? members.map((m) => (m as ts.StringLiteralType).value).sort()
        : undefined;
      shape[property.name] = {
        optional: (property.flags & ts.SymbolFlags.Optional) !== 0,
        type: checker.typeToString(declared),
        ...(literals && members.length > 1 ? { literals } : {}),
      };
    }
    shapes[name] = shape;
  }
  return shapes;
}
