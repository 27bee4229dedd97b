using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DrOrchestrator.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class RunWarningsListed : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "IsWarning",
                table: "RunErrors",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "IsWarning",
                table: "RunErrors");
        }
    }
}
