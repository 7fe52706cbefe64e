using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Boxoffice.UnitTests.Architecture;

/// <summary>A top-level type of ours and the top-level types it uses anywhere.</summary>
/// <param name="Namespace">The user's namespace.</param>
/// <param name="FullName">The user.</param>
/// <param name="Uses">What it uses, as top-level types (a nested type counts as its outermost declaring type).</param>
internal sealed record TypeUse(string Namespace, string FullName, IReadOnlySet<UsedType> Uses);

internal sealed record UsedType(string Namespace, string FullName);

/// <summary>
/// Reads from an assembly's metadata which types each type uses: its signatures, attributes,
/// fields, locals and every type, method or field its IL names. Compiler-made nested types
/// (lambdas' closures, async and iterator state machines) count for the type that declares them,
/// so a call inside an async lambda is seen (NetArchTest 1.3.2 missed exactly that one: it skips
/// the nested types, whose metadata namespace is empty).
/// </summary>
internal static class TypeDependencies
{
    public static IReadOnlyList<TypeUse> Of(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var uses = new List<TypeUse>();
        foreach (var type in module.Types)
        {
            var used = new HashSet<UsedType>();
            Collect(type, used);
            uses.Add(new TypeUse(type.Namespace, type.FullName, used));
        }

        return uses;
    }

    private static void Collect(TypeDefinition type, HashSet<UsedType> used)
    {
        Add(type.BaseType, used);
        foreach (var implemented in type.Interfaces)
        {
            Add(implemented.InterfaceType, used);
        }

        AddAttributes(type, used);
        AddGenericParameters(type, used);
        foreach (var field in type.Fields)
        {
            Add(field.FieldType, used);
            AddAttributes(field, used);
        }

        foreach (var property in type.Properties)
        {
            Add(property.PropertyType, used);
            AddAttributes(property, used);
        }

        foreach (var @event in type.Events)
        {
            Add(@event.EventType, used);
        }

        foreach (var method in type.Methods)
        {
            CollectMethod(method, used);
        }

        foreach (var nested in type.NestedTypes)
        {
            Collect(nested, used);
        }
    }

    private static void CollectMethod(MethodDefinition method, HashSet<UsedType> used)
    {
        Add(method.ReturnType, used);
        foreach (var parameter in method.Parameters)
        {
            Add(parameter.ParameterType, used);
            AddAttributes(parameter, used);
        }

        AddAttributes(method, used);
        AddGenericParameters(method, used);
        foreach (var overridden in method.Overrides)
        {
            AddMember(overridden, used);
        }

        if (!method.HasBody)
        {
            return;
        }

        foreach (var variable in method.Body.Variables)
        {
            Add(variable.VariableType, used);
        }

        foreach (var handler in method.Body.ExceptionHandlers)
        {
            Add(handler.CatchType, used);
        }

        foreach (var instruction in method.Body.Instructions)
        {
            switch (instruction.Operand)
            {
                case TypeReference operand:
                    Add(operand, used);
                    break;
                case MemberReference operand:
                    AddMember(operand, used);
                    break;
            }
        }
    }

    private static void AddMember(MemberReference member, HashSet<UsedType> used)
    {
        Add(member.DeclaringType, used);
        switch (member)
        {
            case GenericInstanceMethod generic:
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument, used);
                }

                AddMember(generic.ElementMethod, used);
                break;
            case MethodReference method:
                Add(method.ReturnType, used);
                foreach (var parameter in method.Parameters)
                {
                    Add(parameter.ParameterType, used);
                }

                break;
            case FieldReference field:
                Add(field.FieldType, used);
                break;
        }
    }

    private static void AddAttributes(ICustomAttributeProvider provider, HashSet<UsedType> used)
    {
        foreach (var attribute in provider.CustomAttributes)
        {
            Add(attribute.AttributeType, used);
            foreach (var argument in attribute.ConstructorArguments.Concat(attribute.Properties.Select(property => property.Argument)))
            {
                if (argument.Value is TypeReference typeArgument)
                {
                    Add(typeArgument, used);
                }
            }
        }
    }

    private static void AddGenericParameters(IGenericParameterProvider provider, HashSet<UsedType> used)
    {
        foreach (var constraint in provider.GenericParameters.SelectMany(parameter => parameter.Constraints))
        {
            Add(constraint.ConstraintType, used);
        }
    }

    private static void Add(TypeReference? type, HashSet<UsedType> used)
    {
        switch (type)
        {
            case null or GenericParameter:
                return;
            case GenericInstanceType generic:
                Add(generic.ElementType, used);
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument, used);
                }

                return;
            case FunctionPointerType pointer:
                Add(pointer.ReturnType, used);
                foreach (var parameter in pointer.Parameters)
                {
                    Add(parameter.ParameterType, used);
                }

                return;
            case IModifierType modified:
                Add(modified.ModifierType, used);
                Add(modified.ElementType, used);
                return;
            case TypeSpecification specification:
                Add(specification.ElementType, used);
                return;
        }

        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        used.Add(new UsedType(type.Namespace, type.FullName));
    }
}
