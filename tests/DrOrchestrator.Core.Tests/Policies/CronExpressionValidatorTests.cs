using DrOrchestrator.Core.Policies;

namespace DrOrchestrator.Core.Tests.Policies;

public sealed class CronExpressionValidatorTests
{
    [Theory]
    [InlineData("0 0 2 * * ?")]
    [InlineData("0 0 4 ? * SUN")]
    [InlineData("0 */15 * * * ?")]
    [InlineData("0 0/5 8-18 ? * MON-FRI")]
    [InlineData("30 10 1 1,15 JAN-MAR,DEC ?")]
    [InlineData("0 0 12 L * ?")]
    [InlineData("0 0 12 L-3 * ?")]
    [InlineData("0 0 12 15W * ?")]
    [InlineData("0 0 12 LW * ?")]
    [InlineData("0 0 12 ? * 6L")]
    [InlineData("0 0 12 ? * 2#1")]
    [InlineData("0 0 12 ? * L")]
    [InlineData("0 0 0 1 1 ? 2030")]
    [InlineData("0 0 0 1 1 ? 2030-2040/2")]
    [InlineData("0 0 2 * * ? *")]
    public void Valid_quartz_expressions_pass(string cron)
    {
        Assert.Null(CronExpressionValidator.Validate(cron));
    }

    [Theory]
    [InlineData("0 2 * * *", "expected 6 or 7 fields (second minute hour day-of-month month day-of-week [year]), got 5")]
    [InlineData("60 0 2 * * ?", "second '60': value 60 is out of range 0-59")]
    [InlineData("0 0 2 0 * ?", "day-of-month '0': value 0 is out of range 1-31")]
    [InlineData("0 0 2 * 13 ?", "month '13': value 13 is out of range 1-12")]
    [InlineData("0 0 2 ? * 8", "day-of-week '8': value 8 is out of range 1-7")]
    [InlineData("0 0 2 ? * FUN", "day-of-week 'FUN': 'FUN' is not a number or name")]
    [InlineData("0 */0 * * * ?", "minute '*/0': step '0' must be a number from 1 to 59")]
    [InlineData("0 0 2 * * *", "exactly one of day-of-month and day-of-week must be '?' (Quartz cannot combine both)")]
    [InlineData("0 0 2 ? * ?", "exactly one of day-of-month and day-of-week must be '?' (Quartz cannot combine both)")]
    [InlineData("? 0 2 * * ?", "second '?': '?' is only allowed in day-of-month and day-of-week")]
    [InlineData("0 0 2 1,,2 * ?", "day-of-month '1,,2': empty list element")]
    [InlineData("0 0 2 ? * 2#6", "day-of-week '2#6': '#k' needs k from 1 to 5")]
    [InlineData("0 0 2 32W * ?", "day-of-month '32W': 'nW' needs a day from 1 to 31")]
    [InlineData("0 0 1-2-3 * * ?", "hour '1-2-3': more than one '-'")]
    [InlineData("0 0 0 1 1 ? 1900", "year '1900': value 1900 is out of range 1970-2199")]
    public void Invalid_expressions_say_which_field_is_wrong(string cron, string expected)
    {
        Assert.Equal(expected, CronExpressionValidator.Validate(cron));
    }
}
