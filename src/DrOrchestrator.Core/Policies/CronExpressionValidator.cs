using System.Globalization;

namespace DrOrchestrator.Core.Policies;

/// <summary>
/// Syntax check for Quartz cron expressions, done here because Core must not reference Quartz.
/// Fields: second minute hour day-of-month month day-of-week [year]. Each field is a comma list
/// of <c>*</c>, <c>v</c>, <c>a-b</c>, with optional <c>/step</c>; month and day-of-week accept
/// JAN..DEC / SUN..SAT; day-of-month also <c>L</c>, <c>L-n</c>, <c>LW</c>, <c>nW</c>; day-of-week
/// also <c>L</c>, <c>nL</c>, <c>n#k</c>; exactly one of day-of-month and day-of-week must be
/// <c>?</c> (Quartz does not implement both). It checks syntax and ranges, not whether the
/// expression ever fires (e.g. 30 February) — Quartz reports that when the trigger is built.
/// </summary>
public static class CronExpressionValidator
{
    private sealed record Field(string Name, int Min, int Max, string[]? Names = null);

    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private static readonly Field[] Fields =
    [
        new("second", 0, 59),
        new("minute", 0, 59),
        new("hour", 0, 23),
        new("day-of-month", 1, 31),
        new("month", 1, 12, MonthNames),
        new("day-of-week", 1, 7, DayNames),
        new("year", 1970, 2199),
    ];

    private const int DayOfMonth = 3;
    private const int DayOfWeek = 5;

    /// <summary>Returns null when <paramref name="expression"/> is valid, else a one-line reason.</summary>
    public static string? Validate(string expression)
    {
        var parts = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is not (6 or 7))
        {
            return $"expected 6 or 7 fields (second minute hour day-of-month month day-of-week [year]), got {parts.Length}";
        }

        for (int i = 0; i < parts.Length; i++)
        {
            var error = ValidateField(Fields[i], i, parts[i].ToUpperInvariant());
            if (error is not null)
            {
                return $"{Fields[i].Name} '{parts[i]}': {error}";
            }
        }

        bool domAny = parts[DayOfMonth] == "?";
        bool dowAny = parts[DayOfWeek] == "?";
        return domAny == dowAny
            ? "exactly one of day-of-month and day-of-week must be '?' (Quartz cannot combine both)"
            : null;
    }

    private static string? ValidateField(Field field, int index, string text)
    {
        if (text == "?")
        {
            return index is DayOfMonth or DayOfWeek ? null : "'?' is only allowed in day-of-month and day-of-week";
        }

        foreach (var item in text.Split(','))
        {
            var error = ValidateItem(field, index, item);
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private static string? ValidateItem(Field field, int index, string item)
    {
        if (item.Length == 0)
        {
            return "empty list element";
        }

        var special = index switch
        {
            DayOfMonth => DayOfMonthSpecial(item),
            DayOfWeek => DayOfWeekSpecial(field, item),
            _ => null,
        };
        if (special is not null)
        {
            return special.Length == 0 ? null : special;
        }

        var slash = item.Split('/');
        if (slash.Length > 2)
        {
            return "more than one '/'";
        }

        if (slash.Length == 2)
        {
            if (!int.TryParse(slash[1], NumberStyles.None, CultureInfo.InvariantCulture, out int step) || step < 1 || step > field.Max)
            {
                return $"step '{slash[1]}' must be a number from 1 to {field.Max}";
            }
        }

        var range = slash[0];
        if (range == "*")
        {
            return null;
        }

        var ends = range.Split('-');
        if (ends.Length > 2)
        {
            return "more than one '-'";
        }

        foreach (var end in ends)
        {
            var error = CheckValue(field, end);
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    // "" = valid special form, null = not a special form (check as a normal item), else an error.
    private static string? DayOfMonthSpecial(string item)
    {
        if (item is "L" or "LW")
        {
            return "";
        }

        if (item.StartsWith("L-", StringComparison.Ordinal))
        {
            return int.TryParse(item.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int offset) && offset <= 30
                ? ""
                : "'L-n' needs n from 0 to 30";
        }

        if (item.EndsWith('W'))
        {
            return int.TryParse(item.AsSpan(0, item.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int day) && day is >= 1 and <= 31
                ? ""
                : "'nW' needs a day from 1 to 31";
        }

        return null;
    }

    private static string? DayOfWeekSpecial(Field field, string item)
    {
        if (item == "L")
        {
            return "";
        }

        if (item.EndsWith('L'))
        {
            return CheckValue(field, item[..^1]) ?? "";
        }

        int hash = item.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            var error = CheckValue(field, item[..hash]);
            if (error is not null)
            {
                return error;
            }

            return int.TryParse(item.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int nth) && nth is >= 1 and <= 5
                ? ""
                : "'#k' needs k from 1 to 5";
        }

        return null;
    }

    private static string? CheckValue(Field field, string text)
    {
        if (field.Names is not null && Array.IndexOf(field.Names, text) >= 0)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            return $"'{text}' is not a number{(field.Names is null ? "" : " or name")}";
        }

        return value < field.Min || value > field.Max ? $"value {value} is out of range {field.Min}-{field.Max}" : null;
    }
}
